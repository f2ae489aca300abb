package clickhouse

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzParseRequest feeds arbitrary URL query strings and ClickHouse headers
// to the request parser and the credential check: they never panic, and
// what they accept is well-formed (setting names that can be quoted into
// SET, no client-only parameter taken for a setting, a query id without
// control characters, a user name).
func FuzzParseRequest(f *testing.F) {
	for _, seed := range []struct{ raw, user, key, auth, format, db string }{
		{"query=SELECT+1&default_format=Native&client_protocol_version=54460&query_id=abc", "", "", "", "", ""},
		{"database=default&max_execution_time=60&param_x=1&compress=1&decompress=1", "writer", "secret", "", "", ""},
		{"user=a&password=b", "", "", "", "JSONEachRow", "analytics"},
		{"%zz&=&&a=b", "", "", "Basic d3JpdGVyOnNlY3JldA==", "", ""},
		{"readonly=1&param_=x&bad-name=1", "x", "", "Bearer t", "Native\r\n", "db"},
	} {
		f.Add(seed.raw, seed.user, seed.key, seed.auth, seed.format, seed.db)
	}
	accts, err := newAccounts([]User{
		{Name: "default", NoPassword: true},
		{Name: "writer", PasswordSHA256Hex: "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"},
	}, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw, user, key, auth, format, db string) {
		h := http.Header{}
		for name, v := range map[string]string{"X-ClickHouse-User": user, "X-ClickHouse-Key": key,
			"Authorization": auth, "X-ClickHouse-Format": format, "X-ClickHouse-Database": db} {
			if v != "" {
				h.Set(name, v)
			}
		}
		req, ex := parseRequest(raw, h)
		if ex != nil {
			if ex.Code <= 0 || !strings.HasPrefix(ex.Text, "Code: ") {
				t.Fatalf("malformed exception %+v", ex)
			}
			return
		}
		for name := range req.settings {
			if !validSettingName(name) || clientOnlyParams[name] || strings.HasPrefix(name, "param_") {
				t.Fatalf("setting %q accepted", name)
			}
		}
		if strings.ContainsFunc(req.queryID, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("query id %q has control characters", req.queryID)
		}
		if req.user == "" {
			t.Fatal("no user name")
		}
		if req.format != "" && !validSettingName(req.format) {
			t.Fatalf("format %q accepted", req.format)
		}
		if _, ex := accts.authenticate(req.user, req.password); ex != nil && ex.Code != codeAuthenticationFailed {
			t.Fatalf("authenticate: %v", ex)
		}
		if _, _, err := querySettings(Query{Settings: req.settings}); err != nil {
			var e *Exception
			if !errors.As(err, &e) {
				t.Fatalf("querySettings: %v is not an Exception", err)
			}
		}
	})
}

// FuzzSQLText feeds arbitrary statements to the SQL reading that routes
// them: it never panics, an INSERT split keeps the text's bytes in order
// (head, then format, then data), and quoting any text yields one token.
func FuzzSQLText(f *testing.F) {
	for _, seed := range []string{
		"SELECT 1",
		"INSERT INTO t (a, b) FORMAT Native\n\x09\x0a\x00",
		"INSERT INTO t SETTINGS x = 'FORMAT' FORMAT JSONEachRow {\"a\":1}",
		"INSERT INTO t VALUES (1, 'a'), (2, 'b')",
		"INSERT INTO t SELECT * FROM s FORMAT CSV",
		"/* c /* nested */ */ SET max_threads = 1",
		"-- x\nUSE `db`",
		"SELECT 'a''b\\'', \"q\"\"x\" FROM t FORMAT `TSV`",
		"SELECT (FORMAT JSON) FORMAT CSV SETTINGS a=1",
		"# comment\nSELECT 1",
		"'unterminated",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, sql []byte) {
		kw, rest := leadingKeyword(sql)
		if kw != "" && !bytes.HasSuffix(sql, rest) {
			t.Fatalf("rest %q is not the end of %q", rest, sql)
		}
		_ = outputFormat(sql)
		if head, format, data, ok := splitInsert(sql); ok {
			if format == "" || !bytes.HasPrefix(sql, head) || !bytes.HasSuffix(sql, data) || len(head)+len(data) > len(sql) {
				t.Fatalf("split %q into head %q format %q data %q", sql, head, format, data)
			}
			if !strings.EqualFold(kw, "INSERT") {
				t.Fatalf("split a statement starting with %q", kw)
			}
		}
		s := string(sql)
		for _, quoted := range []string{quoteString(s), quoteIdent(s)} {
			sc := sqlScanner{src: []byte(quoted)}
			kind, _ := sc.next()
			if kind != tokString && kind != tokQuoted {
				t.Fatalf("quoted %q scans as %d", quoted, kind)
			}
			if next, text := sc.next(); next != tokEOF {
				t.Fatalf("quoted %q continues with %q", quoted, text)
			}
		}
	})
}
