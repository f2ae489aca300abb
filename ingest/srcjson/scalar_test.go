package srcjson_test

import (
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest/srcjson"
)

// TestText shows strings and numbers read as text, anything else as
// empty.
func TestText(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`"a"`, "a"},
		{`"a\"b\u00e9"`, `a"bé`},
		{`42`, "42"},
		{`-1.5e3`, "-1.5e3"},
		{`null`, ""},
		{`true`, ""},
		{`{"a":1}`, ""},
		{`[1]`, ""},
	} {
		v := struct {
			T srcjson.Text `json:"t"`
		}{T: "old"}
		if err := json.Unmarshal([]byte(`{"t":`+tc.json+`}`), &v); err != nil || string(v.T) != tc.want {
			t.Errorf("%s: Text = %q, %v, want %q", tc.json, v.T, err, tc.want)
		}
	}
}

// TestNumber shows numbers, numeric strings and null read as numbers, and
// anything else failing.
func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		json string
		want int64
		err  string
	}{
		{`42`, 42, ""},
		{`"42"`, 42, ""},
		{`1e3`, 1000, ""},
		{`-2.9`, -2, ""},
		{`null`, 0, ""},
		{`""`, 0, ""},
		{`"many"`, 0, `not a number: "many"`},
		{`1e30`, 0, `not a number: "1e30"`},
		{`"` + strings.Repeat("9", 120) + `x"`, 0, `not a number: "` + strings.Repeat("9", 100) + `…"`},
	} {
		var n srcjson.Number
		err := n.UnmarshalJSON([]byte(tc.json))
		if int64(n) != tc.want || (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
			t.Errorf("%s: Number = %d, %v, want %d, %q", tc.json, n, err, tc.want, tc.err)
		}
	}
}

// TestStrings shows JSON string literals decoded, and other values not.
func TestStrings(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want string
		ok   bool
	}{
		{`"plain"`, "plain", true},
		{` "esc\n\u0041" `, "esc\nA", true},
		{`""`, "", true},
		{`"open`, "", false},
		{`42`, "", false},
		{`null`, "", false},
		{``, "", false},
	} {
		s, ok := srcjson.AsString([]byte(tc.raw))
		if s != tc.want || ok != tc.ok {
			t.Errorf("AsString(%s) = %q, %v, want %q, %v", tc.raw, s, ok, tc.want, tc.ok)
		}
		if u, err := srcjson.Unquote([]byte(strings.TrimSpace(tc.raw))); ok && (err != nil || u != tc.want) {
			t.Errorf("Unquote(%s) = %q, %v, want %q", tc.raw, u, err, tc.want)
		}
	}
}
