package github

import (
	"bytes"
	"fmt"

	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest"
)

var _ ingest.ContentRedactor = (*Source)(nil)

// keyRequestBody is the field of api.request events (audit log streaming
// with API request events enabled) that holds the body of the request,
// which can carry file contents, issue text or credentials.
var keyRequestBody = []byte(`"request_body"`)

// RedactContent rewrites the request_body of an api.request entry with
// replace applied to it (to its JSON text when it is not a string); entries without a body, and bodies that replace
// leaves as they are, are returned unchanged. A rewritten record keeps its
// other fields, with keys sorted.
func (*Source) RedactContent(record []byte, replace func(text string) string) ([]byte, error) {
	if !bytes.Contains(record, keyRequestBody) {
		return record, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(record, &fields); err != nil {
		return nil, fmt.Errorf("redact github audit record: %w", err)
	}
	raw, ok := fields["request_body"]
	if !ok {
		return record, nil
	}
	raw = bytes.TrimSpace(raw)
	body := string(raw)
	if len(raw) > 0 && raw[0] == '"' {
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, fmt.Errorf("redact github audit record: request_body: %w", err)
		}
	}
	if body == "" || body == "null" {
		return record, nil
	}
	r := replace(body)
	if r == body {
		return record, nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("redact github audit record: request_body: %w", err)
	}
	fields["request_body"] = b
	out, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("redact github audit record: %w", err)
	}
	return out, nil
}
