package clickhouse

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// This file reads what a request says besides its body: URL parameters,
// ClickHouse headers and credentials, as ClickHouse's HTTPHandler does.

// clientOnlyParams are URL parameters that are not settings: the HTTP
// handler consumes them (ClickHouse's reserved_param_names, plus query,
// database and default_format, which are not settings in 26.7).
var clientOnlyParams = map[string]bool{
	"query":          true,
	"database":       true,
	"default_format": true,
	// Credentials.
	"user":      true,
	"password":  true,
	"quota_key": true,
	// Compression of the body and the result in ClickHouse's own format.
	"compress":   true,
	"decompress": true,
	// Native output layout for the client's protocol revision.
	"client_protocol_version": true,
	// Identity and behaviour of the request. The embedded engine always
	// buffers the whole result, as wait_end_of_query=1 does; it keeps no
	// HTTP sessions, roles or stack traces.
	"query_id":          true,
	"stacktrace":        true,
	"role":              true,
	"buffer_size":       true,
	"wait_end_of_query": true,
	"session_id":        true,
	"session_timeout":   true,
	"session_check":     true,
	"close_session":     true,
}

// request is what the URL parameters and headers of a query request say.
type request struct {
	// query is the query parameter; hasQuery tells it was present.
	query    string
	hasQuery bool
	// database and format are the database and default output format
	// (X-ClickHouse-Database and X-ClickHouse-Format override the
	// parameters); empty when not given.
	database, format string
	// queryID is the client's query id, control characters removed.
	queryID string
	// settings are the ClickHouse settings of the request.
	settings map[string]string
	// params bind {name:Type} placeholders (param_<name>).
	params map[string]string
	// compress and decompress ask for ClickHouse's compressed block format
	// for the result and the body.
	compress, decompress bool
	// revision is client_protocol_version: Native output is encoded for
	// that protocol revision; 0 means plain Native.
	revision uint64
	// user and password are the credentials; user is "default" when the
	// request carries none.
	user, password string
}

// parseRequest reads the URL parameters and headers of a query request.
// A problem is an *Exception with the code ClickHouse would answer.
func parseRequest(rawQuery string, header http.Header) (*request, *Exception) {
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, newException(codeBadArguments, "Cannot parse the URL parameters: %s", printable(err.Error()))
	}
	req := &request{settings: map[string]string{}, params: map[string]string{}}
	last := func(name string) (string, bool) {
		v, ok := values[name]
		if !ok || len(v) == 0 {
			return "", false
		}
		return v[len(v)-1], true
	}
	req.query, req.hasQuery = last("query")
	req.database, _ = last("database")
	req.format, _ = last("default_format")
	if v := header.Get("X-ClickHouse-Database"); v != "" {
		req.database = v
	}
	if v := header.Get("X-ClickHouse-Format"); v != "" {
		req.format = v
	}
	if req.format != "" && !validSettingName(req.format) {
		return nil, newException(codeUnknownFormat, "Unknown format %s", printable(req.format))
	}
	id, ok := last("query_id")
	if !ok {
		id = header.Get("X-ClickHouse-Query-Id")
	}
	req.queryID = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, id)
	if len(req.queryID) > 256 {
		return nil, newException(codeBadArguments, "query_id is longer than 256 bytes")
	}
	for _, flag := range []struct {
		name string
		dst  *bool
	}{{"compress", &req.compress}, {"decompress", &req.decompress}} {
		if v, ok := last(flag.name); ok {
			b, err := parseBool(v)
			if err != nil {
				return nil, newException(codeBadArguments, "Invalid value '%s' for parameter %s: expected 0 or 1", printable(v), flag.name)
			}
			*flag.dst = b
		}
	}
	if v, ok := last("client_protocol_version"); ok && v != "" {
		rev, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, newException(codeBadArguments, "Invalid client_protocol_version '%s'", printable(v))
		}
		req.revision = rev
	}
	for name, vs := range values {
		if name == "" || clientOnlyParams[name] || len(vs) == 0 {
			continue
		}
		value := vs[len(vs)-1]
		if p, ok := strings.CutPrefix(name, "param_"); ok {
			if p == "" {
				return nil, newException(codeBadArguments, "Empty query parameter name")
			}
			req.params[p] = value
			continue
		}
		if !validSettingName(name) {
			return nil, newException(codeUnknownSetting, "Unknown setting '%s'", printable(name))
		}
		req.settings[name] = value
	}
	if err := req.readCredentials(values, header); err != nil {
		return nil, err
	}
	return req, nil
}

// readCredentials takes the credentials from the X-ClickHouse-User and
// X-ClickHouse-Key headers, HTTP basic authentication, or the user and
// password parameters; mixing them is refused, as ClickHouse does. Without
// any, the user is "default" with an empty password.
func (req *request) readCredentials(values url.Values, header http.Header) *Exception {
	hUser, hKey := header.Get("X-ClickHouse-User"), header.Get("X-ClickHouse-Key")
	hasHeaders := hUser != "" || hKey != ""
	auth := header.Get("Authorization")
	_, hasParamUser := values["user"]
	_, hasParamPassword := values["password"]
	hasParams := hasParamUser || hasParamPassword
	if strings.EqualFold(header.Get("X-ClickHouse-SSL-Certificate-Auth"), "on") {
		return newException(codeAuthenticationFailed, "Invalid authentication: SSL certificate authentication is not supported by the embedded engine")
	}
	switch {
	case hasHeaders && auth != "":
		return newException(codeAuthenticationFailed, "Invalid authentication: it is not allowed to use Authorization HTTP header and authentication via X-ClickHouse-User/X-ClickHouse-Key headers simultaneously")
	case (hasHeaders || auth != "") && hasParams:
		return newException(codeAuthenticationFailed, "Invalid authentication: it is not allowed to use HTTP headers and authentication via parameters simultaneously")
	case hasHeaders:
		req.user, req.password = hUser, hKey
	case auth != "":
		user, password, ok := parseBasicAuth(auth)
		if !ok {
			return newException(codeAuthenticationFailed, "Invalid authentication: only HTTP basic authentication is supported")
		}
		req.user, req.password = user, password
	case hasParams:
		req.user, req.password = values.Get("user"), values.Get("password")
	}
	if req.user == "" {
		req.user = "default"
	}
	return nil
}

// parseBasicAuth decodes an "Authorization: Basic ..." value.
func parseBasicAuth(auth string) (user, password string, ok bool) {
	r := http.Request{Header: http.Header{"Authorization": {auth}}}
	return r.BasicAuth()
}

// parseBool reads ClickHouse's spellings of a boolean parameter.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", v)
}

// account is a configured user with its password resolved to a digest.
type account struct {
	name     string
	digest   [sha256.Size]byte
	noPass   bool
	readonly bool
}

// accounts checks credentials against the configured users. It is safe for
// concurrent use (read-only after construction).
type accounts struct {
	byName map[string]*account
	// decoy is compared against when the user is unknown, so that the
	// answer takes as long as for a wrong password.
	decoy [sha256.Size]byte
}

// newAccounts resolves the users' passwords; lookupEnv reads PasswordEnv.
func newAccounts(users []User, lookupEnv func(string) (string, bool)) (*accounts, error) {
	a := &accounts{byName: make(map[string]*account, len(users))}
	if _, err := rand.Read(a.decoy[:]); err != nil {
		return nil, fmt.Errorf("clickhouse users: random decoy: %w", err)
	}
	for i, u := range users {
		acc := &account{name: u.Name, noPass: u.NoPassword, readonly: u.ReadOnly}
		switch {
		case u.PasswordSHA256Hex != "":
			b, err := hex.DecodeString(u.PasswordSHA256Hex)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("clickhouse users[%d] %s: password_sha256_hex is not 64 hexadecimal digits", i, u.Name)
			}
			copy(acc.digest[:], b)
		case u.PasswordEnv != "":
			pw, ok := lookupEnv(u.PasswordEnv)
			if !ok || pw == "" {
				return nil, fmt.Errorf("clickhouse users[%d] %s: environment variable %s (password_env) is not set or empty", i, u.Name, u.PasswordEnv)
			}
			acc.digest = sha256.Sum256([]byte(pw))
		case !u.NoPassword:
			return nil, fmt.Errorf("clickhouse users[%d] %s: no password configured", i, u.Name)
		}
		a.byName[u.Name] = acc
	}
	return a, nil
}

// authenticate returns the account for the credentials, or ClickHouse's
// AUTHENTICATION_FAILED.
func (a *accounts) authenticate(user, password string) (*account, *Exception) {
	digest := sha256.Sum256([]byte(password))
	acc, ok := a.byName[user]
	switch {
	case !ok:
		subtle.ConstantTimeCompare(digest[:], a.decoy[:])
	case acc.noPass:
		if password == "" {
			return acc, nil
		}
	case subtle.ConstantTimeCompare(digest[:], acc.digest[:]) == 1:
		return acc, nil
	}
	return nil, newException(codeAuthenticationFailed,
		"%s: Authentication failed: password is incorrect, or there is no user with such name", printable(user))
}
