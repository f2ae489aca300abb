package input

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"
)

// Defaults of the HTTPConfig fields left at their zero value.
const (
	DefaultListen                = "127.0.0.1:8088"
	DefaultMaxBodyBytes          = 10 << 20
	DefaultMaxDecompressedBytes  = 64 << 20
	DefaultMaxConcurrentRequests = 8
	DefaultMaxErrors             = 100
	DefaultAckTimeout            = 10 * time.Second
	DefaultReadTimeout           = time.Minute
	DefaultShutdownTimeout       = 30 * time.Second
	// DefaultTokensEnv is the environment variable read for bearer tokens
	// when HTTPAuth.TokensEnv is empty.
	DefaultTokensEnv = "AITDR_INGEST_TOKENS"
	// MinTokenLen is the shortest bearer token accepted, in bytes.
	MinTokenLen = 16
)

// HTTPConfig configures the HTTP input. Zero values of the optional fields
// take the Default* constants; DefaultHTTPConfig returns them filled in.
type HTTPConfig struct {
	// Listen is the host:port to listen on. Default DefaultListen
	// (loopback only).
	Listen string `yaml:"listen"`
	// TLS serves HTTPS when set. Default plain HTTP.
	TLS HTTPTLS `yaml:"tls"`
	// Auth is the bearer-token authentication of POST requests.
	Auth HTTPAuth `yaml:"auth"`
	// MaxBodyBytes bounds a request body as sent (compressed or not);
	// larger bodies are answered 413. Default DefaultMaxBodyBytes (10 MiB).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxDecompressedBytes bounds a gzip body once decompressed; larger
	// bodies are answered 413, having been decompressed only that far.
	// Default DefaultMaxDecompressedBytes (64 MiB).
	MaxDecompressedBytes int64 `yaml:"max_decompressed_bytes"`
	// MaxConcurrentRequests bounds the requests processed at once; the
	// others wait, up to AckTimeout, then get 503. Each holds its body in
	// memory, so the bodies take at most MaxConcurrentRequests times
	// MaxDecompressedBytes. Default DefaultMaxConcurrentRequests.
	MaxConcurrentRequests int `yaml:"max_concurrent_requests"`
	// MaxErrors bounds the per-record errors listed in an answer; the
	// others are counted in errors_omitted. Default DefaultMaxErrors.
	MaxErrors int `yaml:"max_errors"`
	// AckTimeout bounds the wait for a slot among MaxConcurrentRequests,
	// and, once the body is read, the processing of the records and the
	// wait for the brokers to acknowledge them; past it the answer is 503
	// and the client sends the request again. Default DefaultAckTimeout.
	AckTimeout time.Duration `yaml:"ack_timeout"`
	// ReadTimeout bounds the reading of a request, body included.
	// Default DefaultReadTimeout.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// ShutdownTimeout bounds the graceful shutdown: requests in progress
	// are finished (their records acknowledged) within it, then the
	// connections are closed. Default DefaultShutdownTimeout.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`

	// LookupEnv reads the environment. Default os.LookupEnv.
	LookupEnv func(string) (string, bool) `yaml:"-"`
}

// HTTPTLS is the certificate of an HTTPS listener.
type HTTPTLS struct {
	// CertFile and KeyFile are the PEM certificate (chain) and key. Both
	// or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// HTTPAuth is the bearer-token authentication of the HTTP input: a request
// must carry "Authorization: Bearer <token>" with one of the tokens, which
// are compared in constant time.
//
// The tokens are the union of Tokens, the lines of TokensFile (blank lines
// and lines starting with # skipped) and the comma-separated list in the
// environment variable TokensEnv. Each is at least MinTokenLen bytes.
type HTTPAuth struct {
	// Tokens are accepted tokens, for tests and for callers that read them
	// from a secret store; prefer TokensFile or TokensEnv in files.
	Tokens []string `yaml:"tokens"`
	// TokensFile is a file of tokens, one per line. Default none.
	TokensFile string `yaml:"tokens_file"`
	// TokensEnv names the environment variable of a comma-separated token
	// list. Default DefaultTokensEnv.
	TokensEnv string `yaml:"tokens_env"`
	// Disabled accepts requests without a token. Only for a loopback
	// Listen address, and without any token configured.
	Disabled bool `yaml:"disabled"`
}

// DefaultHTTPConfig returns the HTTP input configuration with every default
// filled in.
func DefaultHTTPConfig() HTTPConfig {
	return HTTPConfig{
		Listen:                DefaultListen,
		Auth:                  HTTPAuth{TokensEnv: DefaultTokensEnv},
		MaxBodyBytes:          DefaultMaxBodyBytes,
		MaxDecompressedBytes:  DefaultMaxDecompressedBytes,
		MaxConcurrentRequests: DefaultMaxConcurrentRequests,
		MaxErrors:             DefaultMaxErrors,
		AckTimeout:            DefaultAckTimeout,
		ReadTimeout:           DefaultReadTimeout,
		ShutdownTimeout:       DefaultShutdownTimeout,
	}
}

func (c HTTPConfig) withDefaults() HTTPConfig {
	d := DefaultHTTPConfig()
	if c.Listen == "" {
		c.Listen = d.Listen
	}
	if c.Auth.TokensEnv == "" {
		c.Auth.TokensEnv = d.Auth.TokensEnv
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	if c.MaxDecompressedBytes == 0 {
		c.MaxDecompressedBytes = d.MaxDecompressedBytes
	}
	if c.MaxConcurrentRequests == 0 {
		c.MaxConcurrentRequests = d.MaxConcurrentRequests
	}
	if c.MaxErrors == 0 {
		c.MaxErrors = d.MaxErrors
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = d.AckTimeout
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = d.ReadTimeout
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = d.ShutdownTimeout
	}
	if c.LookupEnv == nil {
		c.LookupEnv = os.LookupEnv
	}
	return c
}

// Validate returns every problem of c, each naming its field path, joined
// with errors.Join, or nil. It reads neither the token file nor the
// environment: NewHTTP does.
func (c HTTPConfig) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	listen := c.Listen
	if listen == "" {
		listen = DefaultListen
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		add("listen: %q: %w", listen, err)
	} else if port == "" {
		add("listen: %q: no port", listen)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		add("tls: cert_file %q and key_file %q: set both or neither", c.TLS.CertFile, c.TLS.KeyFile)
	}
	if c.Auth.Disabled {
		if len(c.Auth.Tokens) > 0 || c.Auth.TokensFile != "" {
			add("auth.disabled: true, but tokens are configured (auth.tokens or auth.tokens_file)")
		}
		if err == nil && !isLoopback(host) {
			add("auth.disabled: only allowed on a loopback listen address, not %q", listen)
		}
	}
	for i, t := range c.Auth.Tokens {
		if p := tokenProblem(t); p != "" {
			add("auth.tokens[%d]: %s", i, p)
		}
	}
	if c.MaxBodyBytes < 0 {
		add("max_body_bytes: %d is negative", c.MaxBodyBytes)
	}
	if c.MaxDecompressedBytes < 0 {
		add("max_decompressed_bytes: %d is negative", c.MaxDecompressedBytes)
	}
	if c.MaxConcurrentRequests < 0 {
		add("max_concurrent_requests: %d is negative", c.MaxConcurrentRequests)
	}
	if c.MaxErrors < 0 {
		add("max_errors: %d is negative", c.MaxErrors)
	}
	if c.AckTimeout < 0 {
		add("ack_timeout: %s is negative", c.AckTimeout)
	}
	if c.ReadTimeout < 0 {
		add("read_timeout: %s is negative", c.ReadTimeout)
	}
	if c.ShutdownTimeout < 0 {
		add("shutdown_timeout: %s is negative", c.ShutdownTimeout)
	}
	return errors.Join(errs...)
}

// isLoopback reports whether host is a loopback address or "localhost".
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// tokenProblem says what is wrong with a token, or "".
func tokenProblem(t string) string {
	switch {
	case len(t) < MinTokenLen:
		return fmt.Sprintf("%d bytes, want at least %d", len(t), MinTokenLen)
	case strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return "contains white space or control characters"
	}
	return ""
}

// tokenHashes returns the SHA-256 of every configured token: from the
// config, the token file and the environment. Comparing hashes in constant
// time hides the tokens' lengths too.
func (c HTTPConfig) tokenHashes() ([][sha256.Size]byte, error) {
	var tokens []string
	tokens = append(tokens, c.Auth.Tokens...)
	if c.Auth.TokensFile != "" {
		b, err := os.ReadFile(c.Auth.TokensFile)
		if err != nil {
			return nil, fmt.Errorf("auth.tokens_file: %w", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		line := 0
		for sc.Scan() {
			line++
			t := strings.TrimSpace(sc.Text())
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			if p := tokenProblem(t); p != "" {
				return nil, fmt.Errorf("auth.tokens_file: %s line %d: %s", c.Auth.TokensFile, line, p)
			}
			tokens = append(tokens, t)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("auth.tokens_file: %s: %w", c.Auth.TokensFile, err)
		}
	}
	if v, ok := c.LookupEnv(c.Auth.TokensEnv); ok {
		for i, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if p := tokenProblem(t); p != "" {
				return nil, fmt.Errorf("auth.tokens_env: $%s item %d: %s", c.Auth.TokensEnv, i, p)
			}
			tokens = append(tokens, t)
		}
	}
	switch {
	case c.Auth.Disabled && len(tokens) > 0:
		return nil, fmt.Errorf("auth.disabled: true, but $%s holds tokens", c.Auth.TokensEnv)
	case !c.Auth.Disabled && len(tokens) == 0:
		return nil, fmt.Errorf("auth: no bearer token configured: set auth.tokens_file or $%s (or auth.disabled on a loopback address)", c.Auth.TokensEnv)
	}
	hashes := make([][sha256.Size]byte, len(tokens))
	for i, t := range tokens {
		hashes[i] = sha256.Sum256([]byte(t))
	}
	return hashes, nil
}
