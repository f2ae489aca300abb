package k8saudit

import (
	"bytes"
	"fmt"

	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest"
)

var _ ingest.ContentRedactor = (*Source)(nil)

var (
	keyRequestObject  = []byte(`"requestObject"`)
	keyResponseObject = []byte(`"responseObject"`)
)

// carriesCredentials reports whether the request and response objects of
// requests for ref can hold credentials: Secrets (their data), TokenRequest
// (the minted token in the response) and TokenReview (the reviewed token in
// the request).
func carriesCredentials(ref *objectRef) bool {
	switch {
	case ref.APIGroup == "" && ref.Resource == "secrets":
		return true
	case ref.APIGroup == "" && ref.Resource == "serviceaccounts" && ref.Subresource == "token":
		return true
	case ref.APIGroup == "authentication.k8s.io" && ref.Resource == "tokenreviews":
		return true
	}
	return false
}

// RedactContent rewrites the requestObject and responseObject of an event
// that can carry credentials (see carriesCredentials), which the Request
// and RequestResponse audit levels record, with replace applied to their
// JSON text; the field becomes the string replace returns. Other events,
// and events whose objects replace leaves as they are, are returned
// unchanged. A rewritten record keeps its other fields, with keys sorted.
func (*Source) RedactContent(record []byte, replace func(text string) string) ([]byte, error) {
	if !bytes.Contains(record, keyRequestObject) && !bytes.Contains(record, keyResponseObject) {
		return record, nil
	}
	var head struct {
		ObjectRef objectRef `json:"objectRef"`
	}
	if err := decode(record, &head); err != nil {
		return nil, fmt.Errorf("redact kubernetes audit event: %w", err)
	}
	if !carriesCredentials(&head.ObjectRef) {
		return record, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(record, &fields); err != nil {
		return nil, fmt.Errorf("redact kubernetes audit event: %w", err)
	}
	changed := false
	for _, key := range [...]string{"requestObject", "responseObject"} {
		v, ok := fields[key]
		if !ok || string(v) == "null" {
			continue
		}
		text := string(v)
		r := replace(text)
		if r == text {
			continue
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("redact kubernetes audit event: %s: %w", key, err)
		}
		fields[key] = b
		changed = true
	}
	if !changed {
		return record, nil
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("redact kubernetes audit event: %w", err)
	}
	return out, nil
}
