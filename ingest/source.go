// Package ingest normalizes audit records from clouds, identity providers,
// AI platforms and code hosts into the event contract (schemas.Event). Each
// source has a package of its own below this one that implements Source;
// this package holds what they share: the Source interface, the registry
// that finds the source of a record, and the field errors that name what was
// wrong with a record.
package ingest

import (
	"context"
	"errors"
	"fmt"

	"github.com/aitdr/aitdr/schemas"
)

// Source normalizes the records of one source product.
//
// Normalize is called with one record: a JSON object as the source delivers
// it (one CloudTrail record, one Okta System Log event). A record that holds
// several events (a CloudTrail log file, an EventBridge envelope) is split
// by Split first. Implementations are safe for concurrent use.
type Source interface {
	// Product is the source product this Source normalizes.
	Product() schemas.Product
	// Detect reports, cheaply and without a full parse, whether record looks
	// like one of this source's records; it is used when the input does not
	// name its source.
	Detect(record []byte) bool
	// Normalize fills ev from record. A record that cannot be normalized
	// returns an error naming the field (a *FieldError where it can); the
	// caller sends the record to the dead-letter topic with that reason.
	// Normalize sets every part it can read and leaves the rest zero; it
	// does not set ObservedTime, ID or Raw, which the caller derives.
	Normalize(ctx context.Context, record []byte, ev *schemas.Event) error
}

// Splitter is implemented by sources whose deliveries can hold several
// records: a CloudTrail log file ({"Records": [...]}), an EventBridge
// envelope, an Azure Monitor export ({"records": [...]}), an API page
// ({"data": [...]}).
type Splitter interface {
	// Split calls emit with each record of a delivery and reports true when
	// delivery was a container of this source; it reports false, calling
	// nothing, when delivery is a single record. An error names the field
	// of the container that was malformed.
	Split(delivery []byte, emit func(record []byte) error) (bool, error)
}

// ContentRedactor is implemented by sources whose records can carry
// prompt, completion or request text. Normalize puts such text into
// ev.AI.Prompt.Text for the content scanner; before the raw record is kept,
// RedactContent rewrites every content field of record with replace (which
// returns "" or a keyed hash by default, the text itself only when capture
// was enabled), so no confidential text reaches Kafka or ClickHouse unless
// the operator asks.
type ContentRedactor interface {
	RedactContent(record []byte, replace func(text string) string) ([]byte, error)
}

// FieldError is a problem with one field of a source record.
type FieldError struct {
	// Field is the path of the field in the source record, in the source's
	// own names, e.g. "userIdentity.type" or "actor.id".
	Field string
	// Problem says what is wrong: "missing", "not a string", "unknown type
	// \"Robot\"".
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// Missing returns a FieldError for a required field that is absent.
func Missing(field string) error { return &FieldError{Field: field, Problem: "missing"} }

// Invalid returns a FieldError for a field whose value is unusable.
func Invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// ErrUnknownSource is returned when no Source recognizes a record and the
// input did not name one.
var ErrUnknownSource = errors.New("no source recognizes the record")
