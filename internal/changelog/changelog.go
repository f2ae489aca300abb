// Package changelog checkpoints a stateful stage's per-key state to a
// compacted Kafka topic and restores it when partitions are assigned, so that
// a restart or a rebalance loses no state (the enrich stage's inventory, the
// baseline stage's baselines, the rules stage's windows).
//
// The changelog is co-partitioned with the stage's input: the state of the
// keys read from input partition p is written to changelog partition p, by
// explicit partition number rather than by hashing the key, so restoring
// partition p brings back exactly the keys of input partition p whatever
// partitioner produced the input. The changelog therefore needs at least as
// many partitions as the input; Restore checks it.
//
// A stage writes its dirty keys in its Flush, before the Runner commits the
// batch's input offsets: after a crash the state on the changelog is at least
// as new as the committed offsets, and the input records replayed after the
// commit point are the ones the state may already hold. Stages that must not
// fold a record twice keep, in each key's state, the input offset of the last
// record they folded, and skip replayed records at or below it.
package changelog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	// emptyFetchWait is how long the broker holds a restore fetch that has
	// nothing to return.
	emptyFetchWait = 250 * time.Millisecond
	// quietPoll is how long a restore waits for records before deciding the
	// remaining partitions end early (their tails were compacted away).
	quietPoll = 3 * time.Second
)

// Config is what a Log needs.
type Config struct {
	// Brokers are the seed brokers. Required.
	Brokers []string
	// Topic is the compacted changelog topic. Required.
	Topic string
	// ClientOpts are extra franz-go options (TLS, SASL) applied after the
	// Log's own.
	ClientOpts []kgo.Opt
	// Logger receives restore progress. Default slog.Default().
	Logger *slog.Logger
}

// Entry is one key's state to write. A nil Value writes a tombstone, which
// compaction turns into the key's removal.
type Entry struct {
	// Partition is the input partition the key belongs to.
	Partition int32
	// Key is the state's key, such as the identity id.
	Key []byte
	// Value is the encoded state; nil deletes the key.
	Value []byte
}

// Log is one stage's changelog topic. It is safe for concurrent use.
type Log struct {
	topic  string
	client *kgo.Client
	admin  *kadm.Client
	opts   []kgo.Opt
	logger *slog.Logger
}

// Open connects to the changelog topic. It does not create it: topics are
// provisioned with the rest of the layout.
func Open(cfg Config) (*Log, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("changelog: brokers: required")
	}
	if cfg.Topic == "" {
		return nil, errors.New("changelog: topic: required")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(cfg.Brokers...),
		kgo.DefaultProduceTopic(cfg.Topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0),
		kgo.RequiredAcks(kgo.AllISRAcks()),
	}, cfg.ClientOpts...)
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("changelog %s: new client: %w", cfg.Topic, err)
	}
	return &Log{
		topic:  cfg.Topic,
		client: client,
		admin:  kadm.NewClient(client),
		opts:   opts,
		logger: logger.With("changelog", cfg.Topic),
	}, nil
}

// Topic returns the changelog topic's name.
func (l *Log) Topic() string { return l.topic }

// Close closes the Log's client.
func (l *Log) Close() { l.client.Close() }

// Write produces entries and waits until every one is acknowledged. The
// first failure is returned, naming the key; entries already written stay
// written, which is harmless since each one is a whole state.
func (l *Log) Write(ctx context.Context, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	records := make([]*kgo.Record, len(entries))
	for i, e := range entries {
		records[i] = &kgo.Record{Topic: l.topic, Partition: e.Partition, Key: e.Key, Value: e.Value}
	}
	for _, r := range l.client.ProduceSync(ctx, records...) {
		if r.Err != nil {
			return fmt.Errorf("changelog %s: write key %q to partition %d: %w", l.topic, r.Record.Key, r.Record.Partition, r.Err)
		}
	}
	return nil
}

// Restore reads partitions of the changelog from the beginning to their end
// as of the call and hands every record to apply in offset order, partition
// by partition. A tombstone arrives with a nil value: apply should delete
// the key. An apply error stops the restore and is returned. Restore fails
// when the changelog has fewer partitions than one asked for.
func (l *Log) Restore(ctx context.Context, partitions []int32, apply func(partition int32, key, value []byte) error) error {
	if len(partitions) == 0 {
		return nil
	}
	start := time.Now()
	ends, err := l.admin.ListEndOffsets(ctx, l.topic)
	if err != nil {
		return fmt.Errorf("changelog %s: list end offsets: %w", l.topic, err)
	}
	if err := ends.Error(); err != nil {
		return fmt.Errorf("changelog %s: list end offsets: %w", l.topic, err)
	}
	starts, err := l.admin.ListStartOffsets(ctx, l.topic)
	if err != nil {
		return fmt.Errorf("changelog %s: list start offsets: %w", l.topic, err)
	}
	want := make(map[int32]kgo.Offset, len(partitions))
	remaining := make(map[int32]int64, len(partitions))
	for _, p := range partitions {
		end, ok := ends.Lookup(l.topic, p)
		if !ok {
			return fmt.Errorf("changelog %s: has no partition %d: it needs at least as many partitions as the input topic", l.topic, p)
		}
		from := int64(0)
		if s, ok := starts.Lookup(l.topic, p); ok && s.Err == nil {
			from = s.Offset
		}
		if end.Offset > from {
			want[p] = kgo.NewOffset().AtStart()
			remaining[p] = end.Offset
		}
	}
	var restored int64
	if len(want) > 0 {
		restored, err = l.read(ctx, want, remaining, apply)
		if err != nil {
			return err
		}
	}
	l.logger.Info("changelog restored", "partitions", partitions, "records", restored, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// read consumes the partitions of want until each reaches its end offset in
// remaining.
func (l *Log) read(ctx context.Context, want map[int32]kgo.Offset, ends map[int32]int64, apply func(int32, []byte, []byte) error) (int64, error) {
	opts := append([]kgo.Opt{}, l.opts...)
	opts = append(opts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{l.topic: want}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(emptyFetchWait),
	)
	consumer, err := kgo.NewClient(opts...)
	if err != nil {
		return 0, fmt.Errorf("changelog %s: new consumer: %w", l.topic, err)
	}
	defer consumer.Close()
	var n int64
	for len(ends) > 0 {
		pollCtx, cancel := context.WithTimeout(ctx, quietPoll)
		fetches := consumer.PollFetches(pollCtx)
		cancel()
		if err := ctx.Err(); err != nil {
			return n, fmt.Errorf("changelog %s: restore: %w", l.topic, err)
		}
		var ferr error
		fetches.EachError(func(topic string, p int32, err error) {
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				return // the quiet poll's own timeout
			}
			if ferr == nil {
				ferr = fmt.Errorf("changelog %s: fetch partition %d: %w", topic, p, err)
			}
		})
		if ferr != nil {
			return n, ferr
		}
		var aerr error
		fetches.EachRecord(func(r *kgo.Record) {
			end, ok := ends[r.Partition]
			if aerr != nil || !ok || r.Offset >= end {
				return
			}
			if err := apply(r.Partition, r.Key, r.Value); err != nil {
				aerr = fmt.Errorf("changelog %s: restore partition %d offset %d key %q: %w", l.topic, r.Partition, r.Offset, r.Key, err)
				return
			}
			n++
			if r.Offset+1 >= end {
				delete(ends, r.Partition)
			}
		})
		if aerr != nil {
			return n, aerr
		}
		// A partition whose last records were compacted away ends before
		// its end offset as of the call: a quiet poll means every remaining
		// partition was read to its high watermark.
		if fetches.NumRecords() == 0 {
			l.logger.Debug("changelog restore ended before the end offsets", "partitions", ends)
			break
		}
	}
	return n, nil
}
