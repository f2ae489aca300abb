package stream_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// TestEventRecord shows an event record is keyed by identity, carries the
// schema headers and decodes back to the same event.
func TestEventRecord(t *testing.T) {
	ev := &schemas.Event{
		ID:            "e1",
		SchemaVersion: schemas.EventSchemaVersion,
		Time:          time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC),
		Source:        schemas.Source{Product: schemas.ProductOkta},
		Identity:      schemas.Principal{ID: "okta:acme.okta.com:00u1"},
		Action:        schemas.Action{Name: "user.session.start"},
	}
	r, err := stream.EventRecord(schemas.TopicEvents, ev)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Key) != ev.Identity.ID || r.Topic != schemas.TopicEvents {
		t.Fatalf("record key %q topic %q", r.Key, r.Topic)
	}
	if got := string(stream.Header(r, schemas.HeaderSchemaVersion)); got != "1" {
		t.Errorf("schema header = %q, want 1", got)
	}
	ct := string(stream.Header(r, schemas.HeaderContentType))
	var back schemas.Event
	if err := schemas.DecodeEvent(ct, r.Value, &back); err != nil {
		t.Fatal(err)
	}
	if back.ID != ev.ID || back.Identity.ID != ev.Identity.ID || !back.Time.Equal(ev.Time) {
		t.Fatalf("decoded %+v", back)
	}

	ev.Identity.ID = ""
	if r, _ = stream.EventRecord(schemas.TopicEvents, ev); r.Key != nil {
		t.Fatalf("event without identity has key %q", r.Key)
	}
}

// TestDeadLetterFromOtherInputs shows a record rejected by an HTTP or file
// input names its input instead of a Kafka position.
func TestDeadLetterFromOtherInputs(t *testing.T) {
	now := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	orig := []kgo.RecordHeader{{Key: schemas.HeaderSource, Value: []byte("okta")}}
	dl := stream.DeadLetter(schemas.TopicDeadLetter, "ingest", nil, []byte("{bad"), orig,
		stream.Origin{Input: "http request r1 record 3"}, errors.New("eventType: missing"), now)
	want := map[string]string{
		schemas.HeaderSource:    "okta",
		schemas.HeaderDLQReason: "eventType: missing",
		schemas.HeaderDLQStage:  "ingest",
		schemas.HeaderDLQInput:  "http request r1 record 3",
		schemas.HeaderDLQTime:   "2026-11-26T02:00:00Z",
	}
	for k, v := range want {
		if got := string(stream.Header(dl, k)); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if stream.Header(dl, schemas.HeaderDLQTopic) != nil || stream.Header(dl, schemas.HeaderDLQOffset) != nil {
		t.Error("dead letter from a non-Kafka input has Kafka position headers")
	}
	if string(dl.Value) != "{bad" || dl.Topic != schemas.TopicDeadLetter {
		t.Errorf("dead letter value %q topic %q", dl.Value, dl.Topic)
	}
}

// TestFitDeadLetter shows a dead letter over the record limit is cut down
// to it: the value first (its original length in a header), then the
// original record's headers, then the key and the reason; one within the
// limit is left alone.
func TestFitDeadLetter(t *testing.T) {
	const limit = 4096
	now := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	origin := stream.Origin{Topic: "aitdr.raw", Partition: 2, Offset: 41}
	big := func(n int) []byte { return bytes.Repeat([]byte("x"), n) }
	tests := []struct {
		name        string
		key, value  []byte
		headers     []kgo.RecordHeader
		reason      string
		fitted      bool
		valueAfter  int // length of the value after; -1: whatever fills the limit
		keepHeaders bool
		truncated   string
	}{
		{"within the limit", []byte("k"), big(1000), []kgo.RecordHeader{{Key: "origin", Value: []byte("a")}}, "bad", false, 1000, true, ""},
		{"value over the limit", []byte("k"), big(1_010_000), []kgo.RecordHeader{{Key: "origin", Value: []byte("a")}}, "too large", true, -1, true, "1010000"},
		{"headers over the limit", []byte("k"), big(100), []kgo.RecordHeader{{Key: "origin", Value: big(8000)}}, "too large", true, 0, false, "100"},
		{"key over the limit", big(9000), big(100), nil, "too large", true, 0, false, "100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dl := stream.DeadLetter(schemas.TopicDeadLetter, "ingest", tt.key, tt.value, tt.headers, origin, errors.New(tt.reason), now)
			orig := bytes.Clone(dl.Value)
			if got := stream.FitDeadLetter(dl, limit); got != tt.fitted {
				t.Fatalf("FitDeadLetter = %v, want %v", got, tt.fitted)
			}
			size := len(dl.Key) + len(dl.Value)
			for _, h := range dl.Headers {
				size += len(h.Key) + len(h.Value)
			}
			if size > limit {
				t.Errorf("dead letter is %d bytes, over the %d-byte limit", size, limit)
			}
			if tt.valueAfter < 0 && size != limit {
				t.Errorf("dead letter is %d bytes, want the value cut to fill the %d-byte limit exactly", size, limit)
			}
			if tt.valueAfter >= 0 && len(dl.Value) != tt.valueAfter {
				t.Errorf("value is %d bytes, want %d", len(dl.Value), tt.valueAfter)
			}
			if !bytes.HasPrefix(orig, dl.Value) {
				t.Error("the value left is not the start of the original")
			}
			if got := string(stream.Header(dl, schemas.HeaderDLQTruncated)); got != tt.truncated {
				t.Errorf("header %s = %q, want %q", schemas.HeaderDLQTruncated, got, tt.truncated)
			}
			if got := stream.Header(dl, "origin") != nil; got != tt.keepHeaders {
				t.Errorf("original header kept = %v, want %v", got, tt.keepHeaders)
			}
			for _, h := range []string{schemas.HeaderDLQReason, schemas.HeaderDLQStage, schemas.HeaderDLQTopic, schemas.HeaderDLQOffset, schemas.HeaderDLQTime} {
				if stream.Header(dl, h) == nil {
					t.Errorf("header %s was dropped", h)
				}
			}
			if got := string(stream.Header(dl, schemas.HeaderDLQReason)); got != tt.reason {
				t.Errorf("reason = %q, want %q", got, tt.reason)
			}
		})
	}
}
