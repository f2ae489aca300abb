package ingesttest_test

import (
	"testing"

	"github.com/aitdr/aitdr/ingest/ingesttest"
	"github.com/aitdr/aitdr/schemas"
)

// TestInvalidUTF8 shows the first string of an event that is not valid
// UTF-8 named by its path, and the raw record not taken for text.
func TestInvalidUTF8(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   schemas.Event
		want string
	}{
		{"valid", schemas.Event{Identity: schemas.Principal{ID: "a"}, Raw: schemas.Raw{Data: []byte("\xff")}}, ""},
		{"field", schemas.Event{Identity: schemas.Principal{ID: "a\xff"}}, ".Identity.ID"},
		{"map value", schemas.Event{Attributes: map[string]string{"k": "\xc3"}}, ".Attributes[k]"},
		{"map key", schemas.Event{Attributes: map[string]string{"\xc3": "v"}}, ".Attributes[key]"},
	} {
		if got := ingesttest.InvalidUTF8(&tc.ev); got != tc.want {
			t.Errorf("%s: InvalidUTF8 = %q, want %q", tc.name, got, tc.want)
		}
	}
}
