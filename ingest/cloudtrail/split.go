package cloudtrail

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/aitdr/aitdr/ingest"
	json "github.com/goccy/go-json"
)

var (
	keyRecords    = []byte(`"Records"`)
	keyDetailType = []byte(`"detail-type"`)
)

// container is a CloudTrail log file or an EventBridge envelope.
type container struct {
	Records    *[]json.RawMessage `json:"Records"`
	DetailType string             `json:"detail-type"`
	Detail     json.RawMessage    `json:"detail"`
}

// Split emits each record of a CloudTrail log file ({"Records": [...]},
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html)
// and the CloudTrail record in the detail of an EventBridge event whose
// detail-type ends in "via CloudTrail" ("AWS API Call via CloudTrail",
// "AWS Console Sign In via CloudTrail", ...,
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
// A single record, or an EventBridge event of another kind, is not a
// container: Split reports false. A log file whose Records is not an array,
// or an envelope without a detail object, fails with a *ingest.FieldError.
// An element of Records that is not a record is still emitted, for
// Normalize to reject with its reason.
func (s *Source) Split(delivery []byte, emit func(record []byte) error) (bool, error) {
	if !bytes.Contains(delivery, keyRecords) && !bytes.Contains(delivery, keyDetailType) {
		return false, nil
	}
	var c container
	if err := decode(delivery, &c, ""); err != nil {
		return false, fmt.Errorf("split cloudtrail delivery: %w", err)
	}
	switch {
	case c.Records != nil:
		if *c.Records == nil {
			return false, fmt.Errorf("split cloudtrail log file: %w", ingest.Invalid("Records", "null, want array"))
		}
		for i, rec := range *c.Records {
			if err := emit(rec); err != nil {
				return true, fmt.Errorf("split cloudtrail log file: record %d: %w", i, err)
			}
		}
		return true, nil
	case strings.HasSuffix(c.DetailType, "via CloudTrail"):
		if isNull(c.Detail) {
			return false, fmt.Errorf("split eventbridge event: %w", ingest.Missing("detail"))
		}
		if c.Detail[0] != '{' {
			return false, fmt.Errorf("split eventbridge event: %w", ingest.Invalid("detail", "not an object"))
		}
		if err := emit(c.Detail); err != nil {
			return true, fmt.Errorf("split eventbridge event: %w", err)
		}
		return true, nil
	}
	return false, nil
}
