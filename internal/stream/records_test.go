package stream_test

import (
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
