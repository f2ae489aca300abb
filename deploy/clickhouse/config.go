package clickhouse

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config configures the embedded ClickHouse engine and its HTTP interface.
// The aitdr configuration file embeds it as a section; start from
// DefaultConfig.
type Config struct {
	// Listen is the host:port of the ClickHouse HTTP interface. Port 0 picks
	// a free port. Default "127.0.0.1:8123".
	Listen string `yaml:"listen"`
	// DataDir holds the engine's databases. Empty leaves the choice to the
	// caller (aitdr uses <data_dir>/clickhouse); New fails when it is still
	// empty. Default empty.
	DataDir string `yaml:"data_dir"`
	// Library is the path of libchdb.so. Empty uses $AITDR_CHDB_LIB, then
	// the dynamic loader's search path. Default empty.
	Library string `yaml:"library"`
	// Users may connect; every other name or password is refused with
	// ClickHouse's AUTHENTICATION_FAILED (516). A request without
	// credentials is user "default", as in ClickHouse. Default: "default",
	// without a password, read-write.
	Users []User `yaml:"users"`
	// MaxBodySize bounds a request body in bytes, both as sent and
	// decompressed; a larger one is answered 413. Default 134217728 (128 MiB).
	MaxBodySize int64 `yaml:"max_body_size"`
	// MaxQueuedQueries bounds the queries waiting for the engine or running
	// on it (statements run one at a time); one more is refused at once with
	// TOO_MANY_SIMULTANEOUS_QUERIES (202). It also bounds the memory held by
	// request bodies to MaxQueuedQueries × MaxBodySize. Default 32.
	MaxQueuedQueries int `yaml:"max_queued_queries"`
	// QueryTimeout is the max_execution_time of every query; a read-write
	// user can set another for one query, a read-only user only a shorter
	// one. 0 means no limit. Default 5m.
	QueryTimeout time.Duration `yaml:"query_timeout"`
	// Settings are further ClickHouse settings every query starts from,
	// such as max_memory_usage; a read-write user can override them for one
	// query, a read-only user cannot. Default none.
	Settings map[string]string `yaml:"settings"`
	// ShutdownTimeout bounds how long Run waits for requests in flight once
	// its context ends. Default 30s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// User is one account of the HTTP interface. Exactly one of
// PasswordSHA256Hex, PasswordEnv and NoPassword is set.
type User struct {
	// Name is the user name clients send.
	Name string `yaml:"name"`
	// PasswordSHA256Hex is the hex SHA-256 of the password, as in
	// ClickHouse's users.xml (echo -n PASSWORD | sha256sum).
	PasswordSHA256Hex string `yaml:"password_sha256_hex"`
	// PasswordEnv names the environment variable holding the password,
	// read when the server starts.
	PasswordEnv string `yaml:"password_env"`
	// NoPassword lets the user in with an empty password. Allowed only when
	// Listen is a loopback address.
	NoPassword bool `yaml:"no_password"`
	// ReadOnly runs the user's queries with readonly=1, enforced by the
	// engine: reads only, and no setting changes but those bounding the
	// query itself (a shorter max_execution_time, max_threads, result
	// limits, output format settings).
	ReadOnly bool `yaml:"readonly"`
}

// DefaultConfig returns the defaults: the HTTP interface on 127.0.0.1:8123
// for user "default" without a password.
func DefaultConfig() Config {
	return Config{
		Listen:           "127.0.0.1:8123",
		Users:            []User{{Name: "default", NoPassword: true}},
		MaxBodySize:      128 << 20,
		MaxQueuedQueries: 32,
		QueryTimeout:     5 * time.Minute,
		ShutdownTimeout:  30 * time.Second,
	}
}

// FieldError is one problem with one field of Config.
type FieldError struct {
	// Path is the field's YAML path below the section, e.g. "users[1].name".
	Path string
	// Problem says what is wrong with it.
	Problem string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Problem }

var (
	envNameRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	userNameRe = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)
)

// Validate returns every problem of the configuration joined with
// errors.Join, each a *FieldError with its field path; nil when it is
// usable. It does not read the environment (New does) nor require DataDir.
func (c Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Problem: fmt.Sprintf(format, args...)})
	}
	loopback := false
	if host, port, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "%q is not host:port", c.Listen)
	} else {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			bad("listen", "port %q is not a number from 0 to 65535", port)
		}
		ip := net.ParseIP(host)
		loopback = host == "localhost" || (ip != nil && ip.IsLoopback())
	}
	if c.MaxBodySize < 1024 {
		bad("max_body_size", "%d must be at least 1024 bytes", c.MaxBodySize)
	}
	if c.MaxQueuedQueries < 1 {
		bad("max_queued_queries", "%d must be at least 1", c.MaxQueuedQueries)
	}
	if c.QueryTimeout < 0 {
		bad("query_timeout", "%s must not be negative (0 means no limit)", c.QueryTimeout)
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown_timeout", "%s must be positive", c.ShutdownTimeout)
	}
	for name, value := range c.Settings {
		path := "settings." + name
		switch {
		case !validSettingName(name):
			bad(path, "%q is not a ClickHouse setting name", name)
		case name == "readonly":
			bad(path, "set users[].readonly instead")
		case name == "max_execution_time":
			bad(path, "set query_timeout instead")
		case strings.ContainsAny(value, "\x00\n"):
			bad(path, "the value must not hold a NUL or newline")
		}
	}
	if len(c.Users) == 0 {
		bad("users", "must list at least one user")
	}
	seen := map[string]int{}
	for i, u := range c.Users {
		path := fmt.Sprintf("users[%d]", i)
		if !userNameRe.MatchString(u.Name) {
			bad(path+".name", "%q must be 1 to 64 letters, digits, '_', '.', '@' or '-'", u.Name)
		} else if j, dup := seen[u.Name]; dup {
			bad(path+".name", "%q is already users[%d]", u.Name, j)
		} else {
			seen[u.Name] = i
		}
		set := 0
		if u.PasswordSHA256Hex != "" {
			set++
			if b, err := hex.DecodeString(u.PasswordSHA256Hex); err != nil || len(b) != 32 {
				bad(path+".password_sha256_hex", "must be 64 hexadecimal digits (echo -n PASSWORD | sha256sum)")
			}
		}
		if u.PasswordEnv != "" {
			set++
			if !envNameRe.MatchString(u.PasswordEnv) {
				bad(path+".password_env", "%q is not an environment variable name", u.PasswordEnv)
			}
		}
		if u.NoPassword {
			set++
			if !loopback {
				bad(path+".no_password", "a user without a password needs a loopback listen address, not %q", c.Listen)
			}
		}
		if set != 1 {
			bad(path, "set exactly one of password_sha256_hex, password_env and no_password")
		}
	}
	return errors.Join(errs...)
}

// engineSettings are the settings every query starts from.
func (c Config) engineSettings() map[string]string {
	out := make(map[string]string, len(c.Settings)+1)
	for k, v := range c.Settings {
		out[k] = v
	}
	if c.QueryTimeout > 0 {
		out["max_execution_time"] = strconv.FormatFloat(c.QueryTimeout.Seconds(), 'f', -1, 64)
	}
	return out
}
