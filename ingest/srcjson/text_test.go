package srcjson_test

import (
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/srcjson"
)

// TestKeyAndClean shows invalid UTF-8 rejected in a key field and replaced
// in a descriptive one.
func TestKeyAndClean(t *testing.T) {
	if s, err := srcjson.Key("actor.id", "a-1"); s != "a-1" || err != nil {
		t.Errorf("Key = %q, %v", s, err)
	}
	if _, err := srcjson.Key("actor.id", "a\xff"); err == nil || err.Error() != "actor.id: invalid UTF-8" {
		t.Errorf("Key = %v, want an invalid UTF-8 error", err)
	}
	if got := srcjson.Clean("a\xffb"); got != "a\uFFFDb" {
		t.Errorf("Clean = %q", got)
	}
}

// TestShorten shows values shortened for error messages: Excerpt cuts at a
// byte and cleans, Clip cuts at a rune boundary.
func TestShorten(t *testing.T) {
	long := strings.Repeat("a", 99) + "é" + "bc"
	for _, tc := range []struct{ name, got, want string }{
		{"excerpt short", srcjson.Excerpt("a\xff"), "a\uFFFD"},
		{"excerpt long", srcjson.Excerpt(long), strings.Repeat("a", 99) + "\uFFFD…"},
		{"clip short", srcjson.Clip("abc", 3, "..."), "abc"},
		{"clip at a boundary", srcjson.Clip("abcdef", 4, "..."), "abcd..."},
		{"clip inside a rune", srcjson.Clip("abé", 3, ""), "ab"},
		{"clip long", srcjson.Clip(long, 100, "…"), strings.Repeat("a", 99) + "…"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

// TestInvalidUTF8 shows the member holding the first invalid byte named.
func TestInvalidUTF8(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`{"id":"a","user":{"id":"u` + "\xff" + `"}}`, "id: invalid UTF-8"},
		{`{"type":"x","name":"b` + "\xc3" + `"}`, "name: invalid UTF-8"},
		{"\xff{}", "record: invalid UTF-8"},
	} {
		if err := srcjson.InvalidUTF8([]byte(tc.raw)); err == nil || err.Error() != tc.want {
			t.Errorf("InvalidUTF8(%q) = %v, want %q", tc.raw, err, tc.want)
		}
	}
}

// TestCanonicalIP shows addresses in canonical form and non-addresses
// refused.
func TestCanonicalIP(t *testing.T) {
	for _, tc := range []struct {
		s, want string
		ok      bool
	}{
		{"192.0.2.1", "192.0.2.1", true},
		{"::ffff:192.0.2.1", "192.0.2.1", true},
		{"2001:DB8::0001", "2001:db8::1", true},
		{"", "", false},
		{"10.0.0.300", "", false},
		{"nowhere", "", false},
	} {
		if got, ok := srcjson.CanonicalIP(tc.s); got != tc.want || ok != tc.ok {
			t.Errorf("CanonicalIP(%q) = %q, %v, want %q, %v", tc.s, got, ok, tc.want, tc.ok)
		}
	}
}
