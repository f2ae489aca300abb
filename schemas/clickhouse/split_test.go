package clickhouse

import (
	"slices"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"comments only", "-- a; b\n/* c; */\n# d;\n", nil},
		{"two", "SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"last without semicolon", "SELECT 1;\n SELECT 2 \n", []string{"SELECT 1", "SELECT 2"}},
		{"empty statements", ";;SELECT 1;;", []string{"SELECT 1"}},
		{"single quotes", "SELECT 'a;b'; SELECT 2", []string{"SELECT 'a;b'", "SELECT 2"}},
		{"doubled quote", "SELECT 'it''s; here'; SELECT 2", []string{"SELECT 'it''s; here'", "SELECT 2"}},
		{"backslash escape", `SELECT 'a\';b'; SELECT 2`, []string{`SELECT 'a\';b'`, "SELECT 2"}},
		{"identifiers", "SELECT `a;b`, \"c;d\"; SELECT 2", []string{"SELECT `a;b`, \"c;d\"", "SELECT 2"}},
		{"line comment", "SELECT 1 -- not; the end\n, 2; SELECT 3", []string{"SELECT 1 -- not; the end\n, 2", "SELECT 3"}},
		{"hash comment", "SELECT 1 # no;\n; SELECT 2", []string{"SELECT 1 # no;", "SELECT 2"}},
		{"hash without space", "SELECT 1#2; SELECT 3", []string{"SELECT 1#2", "SELECT 3"}},
		{"nested block comment", "SELECT /* a /* b; */ c; */ 1; SELECT 2", []string{"SELECT /* a /* b; */ c; */ 1", "SELECT 2"}},
		{"leading comment kept", "-- header\nCREATE TABLE t (a String COMMENT 'x;y');", []string{"-- header\nCREATE TABLE t (a String COMMENT 'x;y')"}},
		{"unterminated quote", "SELECT 'a; b", []string{"SELECT 'a; b"}},
		{"unterminated comment", "SELECT 1 /* a; b", []string{"SELECT 1 /* a; b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitStatements(tc.text); !slices.Equal(got, tc.want) {
				t.Errorf("splitStatements(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

// FuzzSplitStatements checks that splitting never panics and never returns
// an empty statement, whatever the text.
func FuzzSplitStatements(f *testing.F) {
	for _, s := range []string{"SELECT 1; SELECT 2", "'a;b'", "/* /* */ */;", "-- x\n;", "`a``b`;\"c\\\"d\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, s := range splitStatements(text) {
			if s == "" {
				t.Fatalf("empty statement from %q", text)
			}
		}
	})
}
