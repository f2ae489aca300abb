package enrich

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/enrich/inventory"
	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// Name is the stage name in metrics, logs and dead-letter headers.
const Name = "enrich"

// pruneBatch is how many credentials a flush looks at for expiry.
const pruneBatch = 2048

// StageConfig chooses the stage's topics.
type StageConfig struct {
	// InputTopic is the events topic the stage consumes. Default
	// schemas.TopicEvents.
	InputTopic string
	// OutputTopic receives the enriched events. Default
	// schemas.TopicEnriched.
	OutputTopic string
}

// Changelog is the part of a changelog.Log the stage uses: the compacted
// topic the inventory is checkpointed to.
type Changelog interface {
	Write(ctx context.Context, entries []changelog.Entry) error
	Restore(ctx context.Context, partitions []int32, apply func(partition int32, key, value []byte) error) error
}

var _ Changelog = (*changelog.Log)(nil)

// Stage is the enrich stage on Kafka: a stream.Processor that enriches
// each event of the events topic and produces it to the enriched topic
// under the same key, a Flusher that writes the identities changed by the
// batch to the changelog, an Assigner that restores the identities of
// newly assigned partitions from it, and a Revoker that drops those of
// partitions taken away. It is for one Runner.
type Stage struct {
	cfg     StageConfig
	x       *Enricher
	log     Changelog
	logger  *slog.Logger
	ev      schemas.Event
	buf     []byte
	scratch []byte
}

var (
	_ stream.Processor = (*Stage)(nil)
	_ stream.Flusher   = (*Stage)(nil)
	_ stream.Assigner  = (*Stage)(nil)
	_ stream.Revoker   = (*Stage)(nil)
)

// NewStage returns the stage enriching with x and checkpointing to log.
func NewStage(cfg StageConfig, x *Enricher, log Changelog, logger *slog.Logger) *Stage {
	if cfg.InputTopic == "" {
		cfg.InputTopic = schemas.TopicEvents
	}
	if cfg.OutputTopic == "" {
		cfg.OutputTopic = schemas.TopicEnriched
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Stage{cfg: cfg, x: x, log: log, logger: logger}
}

// Enricher returns the stage's enricher.
func (s *Stage) Enricher() *Enricher { return s.x }

// Process enriches one event. A record that does not decode as an event is
// rejected to the dead-letter topic.
func (s *Stage) Process(_ context.Context, in *kgo.Record, out *stream.Output) error {
	ev := &s.ev
	if err := schemas.DecodeEvent(string(stream.Header(in, schemas.HeaderContentType)), in.Value, ev); err != nil {
		out.Reject(fmt.Errorf("enrich: %w", err))
		return nil
	}
	if in.Key != nil && ev.Identity.ID != "" && string(in.Key) != ev.Identity.ID {
		// The inventory is partitioned by the key: an event keyed by
		// another identity would be folded on the wrong partition.
		out.Reject(fmt.Errorf("enrich: record key %q is not the event's identity %q", in.Key, ev.Identity.ID))
		return nil
	}
	s.x.Enrich(ev, in.Partition, in.Offset)
	rec, err := stream.EventRecord(s.cfg.OutputTopic, ev)
	if err != nil {
		out.Reject(fmt.Errorf("enrich: %w", err))
		return nil
	}
	if rec.Key == nil {
		rec.Key = in.Key
	}
	out.Produce(rec)
	return nil
}

// Flush writes the identities the batch changed to the changelog, before
// the Runner commits the batch's offsets.
func (s *Stage) Flush(ctx context.Context) error {
	dirty := s.x.Dirty()
	if len(dirty) == 0 {
		s.x.PruneCredentials(pruneBatch)
		return nil
	}
	entries := make([]changelog.Entry, 0, len(dirty))
	s.buf = s.buf[:0]
	offsets := make([]int, 0, len(dirty)+1)
	for _, st := range dirty {
		st.Prepare()
		start := len(s.buf)
		var err error
		s.buf, s.scratch, err = inventory.Marshal(s.buf, s.scratch, st)
		if err != nil {
			return fmt.Errorf("enrich flush: %w", err)
		}
		offsets = append(offsets, start)
	}
	offsets = append(offsets, len(s.buf))
	for i, st := range dirty {
		entries = append(entries, changelog.Entry{
			Partition: st.Partition,
			Key:       []byte(st.Identity.ID),
			Value:     s.buf[offsets[i]:offsets[i+1]:offsets[i+1]],
		})
	}
	if err := s.log.Write(ctx, entries); err != nil {
		return fmt.Errorf("enrich flush %d identities: %w", len(entries), err)
	}
	s.x.ClearDirty()
	s.x.PruneCredentials(pruneBatch)
	return nil
}

// Assign restores the identities of newly assigned partitions of the
// input topic from the changelog.
func (s *Stage) Assign(ctx context.Context, partitions map[string][]int32) error {
	ps := partitions[s.cfg.InputTopic]
	if len(ps) == 0 {
		return nil
	}
	slices.Sort(ps)
	n := 0
	err := s.log.Restore(ctx, ps, func(partition int32, key, value []byte) error {
		if value == nil {
			s.x.Forget(string(key))
			return nil
		}
		st := inventory.New(string(key), partition)
		if err := inventory.Unmarshal(value, st); err != nil {
			return err
		}
		if st.Identity.ID != string(key) {
			return fmt.Errorf("state of %q under key %q", st.Identity.ID, key)
		}
		s.x.Restore(st)
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("enrich: restore identities of partitions %v: %w", ps, err)
	}
	s.logger.Info("enrich: identities restored", "partitions", ps, "records", n, "identities", s.x.Identities())
	return nil
}

// Revoke drops the identities of partitions this member no longer owns;
// their state is on the changelog, written at the last flush.
func (s *Stage) Revoke(_ context.Context, partitions map[string][]int32) {
	ps := partitions[s.cfg.InputTopic]
	if len(ps) == 0 {
		return
	}
	dropped := s.x.Drop(ps)
	s.logger.Info("enrich: identities dropped", "partitions", ps, "identities", dropped)
}
