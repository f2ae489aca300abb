package srcjson_test

import (
	"bytes"
	"testing"

	"github.com/aitdr/aitdr/ingest/srcjson"
)

// TestNeedle shows a needle found where bytes.Contains finds it.
func TestNeedle(t *testing.T) {
	for _, tc := range []struct {
		needle, s string
	}{
		{`"actor"`, `{"actor":{}}`},
		{`"actor"`, `{"actors":{}}`},
		{`"effective_at"`, `{"x":"effective_at","effective_at":1}`},
		{`_actor"`, `{"type":"user_actor"}`},
		{`"q`, `"`},
		{`zz`, `azaz zz`},
	} {
		if got, want := srcjson.NewNeedle(tc.needle).In([]byte(tc.s)), bytes.Contains([]byte(tc.s), []byte(tc.needle)); got != want {
			t.Errorf("NewNeedle(%q).In(%q) = %v, want %v", tc.needle, tc.s, got, want)
		}
	}
}

// FuzzNeedle shows In agreeing with bytes.Contains.
func FuzzNeedle(f *testing.F) {
	f.Add("\"actor\"", []byte(`{"actor":1}`))
	f.Add("_actor\"", []byte(`{"type":"api_actor"}`))
	f.Fuzz(func(t *testing.T, needle string, s []byte) {
		if needle == "" {
			return
		}
		if got, want := srcjson.NewNeedle(needle).In(s), bytes.Contains(s, []byte(needle)); got != want {
			t.Errorf("NewNeedle(%q).In(%q) = %v, want %v", needle, s, got, want)
		}
	})
}
