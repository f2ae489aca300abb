// Package stage is the ingest stage on Kafka: it consumes raw topics, where
// producers of the customer (or a log shipper) write source records as they
// are, normalizes them through the ingest pipeline, and produces the events
// to the events topic, keyed by identity, and every record it cannot
// normalize to the dead-letter topic with the reason. It runs on the stage
// runtime (internal/stream), which commits a raw record's offset only after
// its events and dead letters are acknowledged.
package stage

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// Name is the stage name in metrics, logs and dead-letter headers.
const Name = "ingest"

// Config chooses the stage's topics.
type Config struct {
	// EventsTopic receives the normalized events. Default schemas.TopicEvents.
	EventsTopic string
	// DeadLetterTopic receives what cannot be normalized. Default
	// schemas.TopicDeadLetter.
	DeadLetterTopic string
	// Products names the source product of each raw topic whose records
	// are all of one source, such as {"aitdr.raw.okta": "okta"}. Records of
	// other topics name their source in the aitdr-source header, or their
	// source is detected from their shape.
	Products map[string]schemas.Product
	// Now is the clock of dead-letter times. Default time.Now.
	Now func() time.Time
}

// Processor normalizes raw records; it is a stream.Processor. It is safe
// for use by one Runner.
type Processor struct {
	pipeline *pipeline.Pipeline
	cfg      Config
}

var _ stream.Processor = (*Processor)(nil)

// New returns the ingest stage's processor over p.
func New(p *pipeline.Pipeline, cfg Config) *Processor {
	if cfg.EventsTopic == "" {
		cfg.EventsTopic = schemas.TopicEvents
	}
	if cfg.DeadLetterTopic == "" {
		cfg.DeadLetterTopic = schemas.TopicDeadLetter
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Processor{pipeline: p, cfg: cfg}
}

// Process normalizes one raw record, which may be a container of several
// source records (a CloudTrail log file, an API page). The records that
// cannot be normalized are dead-lettered one by one, each with its index in
// the raw record, beside the events of the good ones.
func (s *Processor) Process(ctx context.Context, in *kgo.Record, out *stream.Output) error {
	hint := schemas.Product(stream.Header(in, schemas.HeaderSource))
	if hint == "" {
		hint = s.cfg.Products[in.Topic]
	}
	var results []pipeline.Result
	_, err := s.pipeline.Process(ctx, in.Value, hint, func(r pipeline.Result) {
		if r.Event == nil {
			r.Record = bytes.Clone(r.Record)
		}
		results = append(results, r)
	})
	if err != nil {
		return fmt.Errorf("normalize %s/%d@%d: %w", in.Topic, in.Partition, in.Offset, err)
	}
	// Dead letters carry the record as the pipeline returned it, with its
	// content fields redacted by the source's policy, never in.Value: a
	// rejected prompt must not reach Kafka in clear.
	for i, r := range results {
		if r.Event != nil {
			rec, err := stream.EventRecord(s.cfg.EventsTopic, r.Event)
			if err == nil {
				out.Produce(rec)
				continue
			}
			r.Err, r.Record = err, nil // the event could not be encoded; keep no content
		}
		origin := stream.Origin{Topic: in.Topic, Partition: in.Partition, Offset: in.Offset, Input: fmt.Sprintf("record %d", i)}
		out.Produce(stream.DeadLetter(s.cfg.DeadLetterTopic, Name, in.Key, r.Record, in.Headers, origin, r.Err, s.cfg.Now()))
	}
	return nil
}
