package cloudtrail_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aitdr/aitdr/ingest/ingesttest"
	"github.com/aitdr/aitdr/schemas"
)

// seeds adds the samples of testdata, their records and a few bad records
// to the corpus of f.
func seeds(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/*.in.json")
	src := newSource()
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		for _, rec := range ingesttest.Records(f, src, data) {
			f.Add(rec)
		}
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"Records":null}`, `{"detail-type":"AWS API Call via CloudTrail","detail":null}`,
		`{"eventTime":"2025-03-14T09:26:41Z","eventName":"X","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/"}}`,
		`{"eventTime":"2025-03-14T09:26:41Z","eventName":"InvokeModel","eventSource":"bedrock.amazonaws.com","userIdentity":{"type":"Root","accountId":"1"},"requestParameters":{"modelId":"arn:aws:bedrock"},"additionalEventData":{"inputTokenCount":1e400}}`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzNormalize shows that no input panics Normalize, and that every
// record it accepts gives an event valid under the contract.
func FuzzNormalize(f *testing.F) {
	seeds(f)
	src := newSource()
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev schemas.Event
		if err := src.Normalize(context.Background(), data, &ev); err != nil {
			return
		}
		ingesttest.Finish(&ev, src.Product(), data, now)
		if err := ev.Validate(); err != nil {
			t.Fatalf("accepted record gives an invalid event: %v\nrecord: %q", err, data)
		}
		if field := ingesttest.InvalidUTF8(&ev); field != "" {
			t.Fatalf("accepted record gives invalid UTF-8 in %s\nrecord: %q", field, data)
		}
	})
}

// FuzzSplit shows that no delivery panics Split.
func FuzzSplit(f *testing.F) {
	seeds(f)
	src := newSource()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = src.Split(data, func([]byte) error { return nil })
	})
}
