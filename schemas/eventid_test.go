package schemas_test

import (
	"encoding/hex"
	"testing"

	"github.com/aitdr/aitdr/schemas"
)

// TestEventIDStable shows that EventID gives the same ids as the version
// that wrote the committed events (checked against an independent
// implementation of the documented framing): changing these values changes every
// dedup key, an incompatible change.
func TestEventIDStable(t *testing.T) {
	tests := []struct {
		name     string
		product  schemas.Product
		sourceID string
		raw      []byte
		want     string
	}{
		{"cloudtrail event id", schemas.ProductAWSCloudTrail, "e3b9a1c4-7d2f-4e8a-b6c5-9f0d1a2b3c4d", nil, "396ff3c2daabbf22a47b3a362321a412"},
		{"okta uuid", schemas.ProductOkta, "8f1e2d3c-4b5a-11ef-9a8b-0c1d2e3f4a5b", nil, "484f4bbbb1daa2f37c03afa45da19a0a"},
		{"content hash", schemas.ProductAIGateway, "", []byte(`{"ts":"2025-03-14T14:41:09.052Z"}`), "2808e8207d71ff32a35a9c04e9878cec"},
		{"empty raw", schemas.ProductAIGateway, "", nil, "7326abf7c89ad7852ab20ab681a763eb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := schemas.EventID(tt.product, tt.sourceID, tt.raw); got != tt.want {
				t.Errorf("EventID = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestEventIDProperties shows what makes EventID a dedup key: deterministic,
// fixed-length hex, the source id preferred over the raw record, and no
// collision across products or between a source id and a raw record.
func TestEventIDProperties(t *testing.T) {
	raw := []byte(`{"eventID":"abc"}`)
	id := schemas.EventID(schemas.ProductAWSCloudTrail, "abc", raw)
	tests := []struct {
		name string
		ok   bool
	}{
		{"deterministic", id == schemas.EventID(schemas.ProductAWSCloudTrail, "abc", raw)},
		{"fixed length", len(id) == schemas.EventIDLen},
		{"hex", func() bool { _, err := hex.DecodeString(id); return err == nil }()},
		{"raw ignored when the source has an id", id == schemas.EventID(schemas.ProductAWSCloudTrail, "abc", []byte("other"))},
		{"products do not collide", id != schemas.EventID(schemas.ProductOkta, "abc", raw)},
		{"source id and raw record do not collide",
			schemas.EventID(schemas.ProductAWSCloudTrail, "abc", nil) != schemas.EventID(schemas.ProductAWSCloudTrail, "", []byte("abc"))},
		{"product and id boundary is framed",
			schemas.EventID("ab", "c", nil) != schemas.EventID("a", "bc", nil)},
		{"raw records differ", schemas.EventID(schemas.ProductAIGateway, "", []byte("a")) != schemas.EventID(schemas.ProductAIGateway, "", []byte("b"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("property does not hold for id %s", id)
			}
		})
	}
}
