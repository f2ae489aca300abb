package cloudtrail_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/ingesttest"
)

// TestSplit shows log files and CloudTrail EventBridge envelopes split
// into their records, and single records and other EventBridge events left
// alone.
func TestSplit(t *testing.T) {
	src := newSource()
	tests := []struct {
		name     string
		delivery string
		split    bool
		records  []string
	}{
		{"log file", `{"Records":[{"eventName":"A"},{"eventName":"B"}]}`, true, []string{`{"eventName":"A"}`, `{"eventName":"B"}`}},
		{"empty log file", `{"Records":[]}`, true, nil},
		{"log file with a bad element", `{"Records":[{"eventName":"A"},42]}`, true, []string{`{"eventName":"A"}`, `42`}},
		{"api call envelope", `{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":{"eventName":"GetObject"}}`, true, []string{`{"eventName":"GetObject"}`}},
		{"sign-in envelope", `{"detail-type":"AWS Console Sign In via CloudTrail","detail":{"eventName":"ConsoleLogin"}}`, true, []string{`{"eventName":"ConsoleLogin"}`}},
		{"other envelope", `{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{"type":"Recon"}}`, false, nil},
		{"single record", string(record(t, nil)), false, nil},
		{"record mentioning Records", `{"eventName":"PutRecords","requestParameters":{"Records":[1]}}`, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			split, err := src.Split([]byte(tt.delivery), func(r []byte) error {
				got = append(got, string(r))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if split != tt.split {
				t.Errorf("split = %v, want %v", split, tt.split)
			}
			if strings.Join(got, "\n") != strings.Join(tt.records, "\n") {
				t.Errorf("records\n got: %q\nwant: %q", got, tt.records)
			}
		})
	}
}

// TestSplitErrors shows malformed containers rejected with the field that
// is wrong, and an error of emit returned with the record's index.
func TestSplitErrors(t *testing.T) {
	src := newSource()
	tests := []struct {
		name     string
		delivery string
		want     string
		field    bool
	}{
		{"records not an array", `{"Records":"none"}`, "split cloudtrail delivery: Records: string, want array", true},
		{"truncated log file", `{"Records":[{"eventName":"A"}`, "split cloudtrail delivery: decode json: unexpected end of JSON input", false},
		{"envelope without detail", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.s3"}`, "split eventbridge event: detail: missing", true},
		{"envelope with a string detail", `{"detail-type":"AWS API Call via CloudTrail","detail":"x"}`, "split eventbridge event: detail: not an object", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			split, err := src.Split([]byte(tt.delivery), func([]byte) error { t.Error("emit called"); return nil })
			if err == nil {
				t.Fatalf("no error (split = %v)", split)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
			var fe *ingest.FieldError
			if errors.As(err, &fe) != tt.field {
				t.Errorf("errors.As(*ingest.FieldError) = %v, want %v", !tt.field, tt.field)
			}
		})
	}

	stop := errors.New("stop")
	n := 0
	_, err := src.Split([]byte(`{"Records":[{},{},{}]}`), func([]byte) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || err.Error() != "split cloudtrail log file: record 1: stop" || n != 2 {
		t.Errorf("emit error: got %v after %d records", err, n)
	}
}

// TestSplitLogFileSample shows the log file sample split into its three
// records in order.
func TestSplitLogFileSample(t *testing.T) {
	data, err := os.ReadFile("testdata/logfile_pipeline_run.in.json")
	if err != nil {
		t.Fatal(err)
	}
	recs := ingesttest.Records(t, newSource(), data)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
}
