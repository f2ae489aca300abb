package stream

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/schemas"
)

// schemaVersionHeader is the HeaderSchemaVersion value of the events this
// build writes.
var schemaVersionHeader = []byte(strconv.Itoa(schemas.EventSchemaVersion))

// EventRecord returns the record that carries ev on topic, as every stage
// writes events: keyed by the identity id (so one identity's events stay on
// one partition, in order), the value in MessagePack, and the schema version
// and content type in headers. An event without an identity has no key and
// is spread over the partitions.
func EventRecord(topic string, ev *schemas.Event) (*kgo.Record, error) {
	value, err := schemas.AppendEvent(nil, ev)
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	r := &kgo.Record{
		Topic: topic,
		Value: value,
		Headers: []kgo.RecordHeader{
			{Key: schemas.HeaderSchemaVersion, Value: schemaVersionHeader},
			{Key: schemas.HeaderContentType, Value: []byte(schemas.ContentTypeEventMsgpack)},
		},
	}
	if ev.Identity.ID != "" {
		r.Key = []byte(ev.Identity.ID)
	}
	return r, nil
}

// Header returns the value of the first header of r named key, or nil.
func Header(r *kgo.Record, key string) []byte {
	for _, h := range r.Headers {
		if h.Key == key {
			return h.Value
		}
	}
	return nil
}

// Origin says where a rejected record came from: a Kafka record (Topic,
// Partition, Offset) or another input (Input, such as "http request 7f3a
// record 12" or "file audit.json.gz line 40").
type Origin struct {
	Topic     string
	Partition int32
	Offset    int64
	Input     string
}

// DeadLetter returns the dead-letter record on topic for a record that stage
// could not process: its key, value and headers as they were, plus the
// schemas.HeaderDLQ* headers with the reason, the stage, the origin and the
// time of rejection.
func DeadLetter(topic, stage string, key, value []byte, headers []kgo.RecordHeader, origin Origin, reason error, now time.Time) *kgo.Record {
	h := make([]kgo.RecordHeader, 0, len(headers)+6)
	h = append(h, headers...)
	h = append(h,
		kgo.RecordHeader{Key: schemas.HeaderDLQReason, Value: []byte(reason.Error())},
		kgo.RecordHeader{Key: schemas.HeaderDLQStage, Value: []byte(stage)},
	)
	if origin.Topic != "" {
		h = append(h,
			kgo.RecordHeader{Key: schemas.HeaderDLQTopic, Value: []byte(origin.Topic)},
			kgo.RecordHeader{Key: schemas.HeaderDLQPartition, Value: strconv.AppendInt(nil, int64(origin.Partition), 10)},
			kgo.RecordHeader{Key: schemas.HeaderDLQOffset, Value: strconv.AppendInt(nil, origin.Offset, 10)},
		)
	}
	if origin.Input != "" {
		h = append(h, kgo.RecordHeader{Key: schemas.HeaderDLQInput, Value: []byte(origin.Input)})
	}
	h = append(h, kgo.RecordHeader{Key: schemas.HeaderDLQTime, Value: now.UTC().AppendFormat(nil, time.RFC3339Nano)})
	return &kgo.Record{Topic: topic, Key: key, Value: value, Headers: h}
}

// FitDeadLetter cuts dl, a dead letter made by DeadLetter, down to at most
// maxBytes of key, value and headers, so that it can be produced: a record
// rejected for its size makes a dead letter at least as large, which the
// producer would refuse in turn, stopping the stage on every redelivery of
// the record. The value is cut first, to its first bytes, and the
// schemas.HeaderDLQTruncated header gives its original length; if the key
// and headers alone are still too large, the original record's headers are
// dropped (the aitdr-dlq-* headers stay), then the key and the reason are
// cut. It reports whether dl was changed.
func FitDeadLetter(dl *kgo.Record, maxBytes int) bool {
	over := recordSize(dl) - int64(maxBytes)
	if over <= 0 {
		return false
	}
	mark := kgo.RecordHeader{Key: schemas.HeaderDLQTruncated, Value: strconv.AppendInt(nil, int64(len(dl.Value)), 10)}
	dl.Headers = append(dl.Headers, mark)
	over += int64(len(mark.Key) + len(mark.Value))
	cut := func(b []byte) []byte {
		n := min(int64(len(b)), max(over, 0))
		over -= n
		return b[:int64(len(b))-n]
	}
	dl.Value = cut(dl.Value)
	if over > 0 {
		kept := dl.Headers[:0]
		for _, h := range dl.Headers {
			if strings.HasPrefix(h.Key, "aitdr-dlq-") {
				kept = append(kept, h)
			} else {
				over -= int64(len(h.Key) + len(h.Value))
			}
		}
		clear(dl.Headers[len(kept):])
		dl.Headers = kept
	}
	if over > 0 {
		dl.Key = cut(dl.Key)
	}
	for i := range dl.Headers {
		if over > 0 && dl.Headers[i].Key == schemas.HeaderDLQReason {
			dl.Headers[i].Value = cut(dl.Headers[i].Value)
		}
	}
	return true
}
