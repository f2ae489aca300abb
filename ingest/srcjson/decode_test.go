package srcjson_test

import (
	stdjson "encoding/json"
	"errors"
	"reflect"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/srcjson"
)

type sample struct {
	ID    string   `json:"id"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
	User  struct {
		Name string `json:"name"`
	} `json:"user"`
}

// TestDecode shows records decoding, and bad ones failing with an error
// naming the field by its JSON path.
func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, record, want string
		field              string // of the *ingest.FieldError, "" for none
	}{
		{"valid", `{"id":"a","count":2,"tags":["x"],"user":{"name":"n"}}`, "", ""},
		{"string for a number", `{"count":"2"}`, "count: not a number (string)", "count"},
		{"number for a string", `{"user":{"name":7}}`, "user.name: not a string (number)", "user.name"},
		{"object for an array", `{"tags":{}}`, "tags: not an array (object)", "tags"},
		{"array for an object", `{"user":[]}`, "user: not an object (array)", "user"},
		{"not an object", `["a"]`, "record: not a JSON object (array)", "record"},
		{"truncated", `{"id":"a"`, "invalid JSON at offset 9: unexpected end of JSON input", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v sample
			err := srcjson.Decode([]byte(tc.record), &v)
			if tc.want == "" {
				if err != nil || v.ID != "a" || v.Count != 2 || v.User.Name != "n" {
					t.Fatalf("Decode = %v, %+v", err, v)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			var fe *ingest.FieldError
			if got := errors.As(err, &fe); got != (tc.field != "") || got && fe.Field != tc.field {
				t.Errorf("error %#v, want a FieldError of %q", err, tc.field)
			}
		})
	}
}

// panicky panics in goccy's decoder; the standard library decodes it.
type panicky struct{ S string }

func (p *panicky) UnmarshalJSON(b []byte) error {
	if b[0] == '"' && len(b) > 2 && b[1] == '!' {
		panic("boom")
	}
	return nil
}

// TestUnmarshal shows a panic of the fast decoder turned into an error, and
// the standard library's result kept when it accepts the record.
func TestUnmarshal(t *testing.T) {
	var p panicky
	if err := srcjson.UnmarshalFast([]byte(`"!"`), &p); err == nil || err.Error() != "goccy/go-json panicked: boom" {
		t.Errorf("UnmarshalFast = %v, want the panic as an error", err)
	}
	var v struct {
		A string `json:"a"`
		B int    `json:"b"`
		C string `json:"c"`
	}
	v.C = "before"
	// The slow path starts from zero and names the field.
	err := srcjson.Unmarshal([]byte(`{"a":"x","b":"y"}`), &v)
	var te *stdjson.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field != "b" || v.C != "" {
		t.Errorf("Unmarshal = %v with %+v, want a type error of b and v zeroed", err, v)
	}
}

// TestExplain shows why the fast decoder rejected a record, named by the
// standard library.
func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		name, record, want string
	}{
		{"wrong kind", `{"user":{"name":[]}}`, "user.name: array, want a string"},
		{"not an object", `"login"`, "record: string, want an object"},
		{"truncated", `{"id":"a","count":17`, "record: malformed JSON at offset 20: unexpected end of JSON input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v sample
			fast := json.Unmarshal([]byte(tc.record), &v)
			if fast == nil {
				t.Fatal("the fast decoder accepted the record")
			}
			err := srcjson.Explain([]byte(tc.record), &v, fast)
			var fe *ingest.FieldError
			if err == nil || err.Error() != tc.want || !errors.As(err, &fe) {
				t.Errorf("Explain = %v, want the FieldError %q", err, tc.want)
			}
		})
	}
	// When the standard library accepts the record, the fast error stands.
	if err := srcjson.Explain([]byte(`{}`), new(sample), errors.New("odd")); err == nil || err.Error() != "record: malformed JSON: odd" {
		t.Errorf("Explain = %v, want the fast error", err)
	}
}

// TestKind shows the JSON kinds of Go types.
func TestKind(t *testing.T) {
	for _, tc := range []struct {
		v          any
		kind, name string
	}{
		{"", "string", "a string"},
		{json.Number(""), "string", "a string"},
		{true, "boolean", "a boolean"},
		{int32(0), "number", "a number"},
		{0.5, "number", "a number"},
		{[]string{}, "array", "an array"},
		{[2]int{}, "array", "an array"},
		{sample{}, "object", "an object"},
		{map[string]int{}, "object", "an object"},
		{new(int), "object", "an object"},
	} {
		typ := reflect.TypeOf(tc.v)
		if k, n := srcjson.Kind(typ), srcjson.KindName(typ); k != tc.kind || n != tc.name {
			t.Errorf("%s: Kind, KindName = %q, %q, want %q, %q", typ, k, n, tc.kind, tc.name)
		}
	}
}
