package srcjson_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest/srcjson"
)

// TestSplitArray shows arrays split into their elements, anything else
// left alone, and errors starting with the operation.
func TestSplitArray(t *testing.T) {
	stop := errors.New("stop")
	for _, tc := range []struct {
		name, delivery string
		emitErr        error
		ok             bool
		records        string
		err            string
	}{
		{"array", ` [{"a":1}, {"b":2}]`, nil, true, `{"a":1}|{"b":2}`, ""},
		{"empty", `[]`, nil, true, "", ""},
		{"object", `{"a":[1]}`, nil, false, "", ""},
		{"empty delivery", `  `, nil, false, "", ""},
		{"truncated", `[{"id":"a"},`, nil, true, "", "split test page: invalid JSON at offset 12: unexpected end of JSON input"},
		{"emit fails", `[1,2]`, stop, true, "1", "split test page: record 0: stop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			ok, err := srcjson.SplitArray("split test page", []byte(tc.delivery), func(r []byte) error {
				got = append(got, string(r))
				return tc.emitErr
			})
			if ok != tc.ok || strings.Join(got, "|") != tc.records {
				t.Errorf("SplitArray = %v with %q, want %v with %q", ok, got, tc.ok, tc.records)
			}
			if (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
				t.Errorf("error %v, want %q", err, tc.err)
			}
			if tc.emitErr != nil && !errors.Is(err, tc.emitErr) {
				t.Errorf("error %v does not wrap the emit error", err)
			}
		})
	}
}

// TestRawArray shows an array member kept as it is, a copy, and anything
// else read as nil.
func TestRawArray(t *testing.T) {
	var v struct {
		A srcjson.RawArray `json:"a"`
		B srcjson.RawArray `json:"b"`
	}
	b := []byte(`{"a":[1, 2],"b":{"x":[3]}}`)
	if err := json.Unmarshal(b, &v); err != nil || string(v.A) != `[1, 2]` || v.B != nil {
		t.Fatalf("RawArray = %q, %q, %v", v.A, v.B, err)
	}
	copy(b, bytes.Repeat([]byte("x"), len(b)))
	if string(v.A) != `[1, 2]` {
		t.Errorf("RawArray shares the record's bytes: %q", v.A)
	}
}
