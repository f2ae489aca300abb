package stream

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Processor turns one consumed record into zero or more records to produce.
//
// A bad record is data, not a failure of the stage: call out.Reject with the
// reason and return nil; the Runner sends the record to the dead-letter topic
// and keeps going. A panic inside Process is treated the same way. Return an
// error only for infrastructure or context failures (a database down, ctx
// done): the Runner then stops without committing the batch, so the batch is
// delivered again after a restart.
//
// The Runner calls Process from one goroutine, one record at a time, in
// offset order within each partition. The records given to Process are not
// reused by the Runner and may be kept. ctx carries the record's trace span;
// it is not canceled when the Runner is asked to stop (the current batch is
// finished) but when Config.DrainTimeout runs out, and Process must then
// return.
//
// A Processor may also implement Flusher, Assigner and Revoker.
type Processor interface {
	Process(ctx context.Context, in *kgo.Record, out *Output) error
}

// ProcessorFunc adapts a function to a Processor.
type ProcessorFunc func(ctx context.Context, in *kgo.Record, out *Output) error

// Process calls f.
func (f ProcessorFunc) Process(ctx context.Context, in *kgo.Record, out *Output) error {
	return f(ctx, in, out)
}

var _ Processor = ProcessorFunc(nil)

// Flusher is implemented by processors that buffer side effects outside Kafka
// (a ClickHouse batch writer, say). The Runner calls Flush after each batch
// has been processed, from the goroutine that calls Process, and commits the
// batch's offsets only after Flush returned nil and every record produced for
// the batch was acknowledged. A Flush error is an infrastructure failure: the
// Runner stops without committing the batch.
type Flusher interface {
	Flush(ctx context.Context) error
}

// BufferingFlusher is a Flusher that gathers the side effects of several
// batches into one write: ClickHouse, say, wants a few large inserts a
// second rather than one per poll, whose size follows how much the brokers
// happened to have buffered. After each batch, and while it holds
// unflushed batches at least when FlushDue's deadline comes, the Runner
// calls FlushDue and calls Flush only when it answers due; it also flushes
// before partitions are revoked and at shutdown. The batches processed since
// the last Flush are committed only after the next Flush succeeds, so the
// flusher must bound what it buffers (rows, bytes, age) through FlushDue:
// the Runner's in-flight bounds count only records produced.
//
// FlushDue and Flush are never called concurrently with Process or with each
// other.
type BufferingFlusher interface {
	Flusher
	// FlushDue reports whether what is buffered is to be written now and,
	// when it is not, the latest time it will be. Not due with a zero time
	// means nothing is buffered (every record of the held batches was
	// rejected, say); the Runner then flushes at once, which costs nothing.
	FlushDue(now time.Time) (due bool, by time.Time)
}

// Assigner is implemented by stateful processors that restore per-partition
// state (from a changelog topic, say) when partitions are assigned. The Runner
// calls Assign with the newly assigned partitions by topic before any of their
// records reach Process, and never concurrently with Process. An Assign error
// stops the Runner. Assign should finish well within the group's rebalance
// timeout.
type Assigner interface {
	Assign(ctx context.Context, partitions map[string][]int32) error
}

// Revoker is implemented by stateful processors that drop per-partition state
// when partitions leave this member. The Runner calls Revoke with the revoked
// or lost partitions by topic after the work already done for them is
// committed (revoked) or abandoned (lost), and never concurrently with
// Process.
type Revoker interface {
	Revoke(ctx context.Context, partitions map[string][]int32)
}

// Output collects what Process produces for one input record. It is reset by
// the Runner before each call and must not be used after Process returns.
type Output struct {
	records []*kgo.Record
	reason  error
}

// Produce queues r to be produced once Process returns. r.Topic is required;
// a record without one sends the input record to the dead-letter topic (it is
// a bug in the processor). Records are produced in the order given, with the
// key's partitioning, and the Runner sets the trace context headers. r belongs
// to the Runner after the call.
func (o *Output) Produce(r *kgo.Record) {
	o.records = append(o.records, r)
}

// Reject marks the input record as bad data: the Runner sends it, with its
// original key, value and headers and the reason in schemas.HeaderDLQ*
// headers, to the dead-letter topic, and drops anything produced for it in the
// same call. A nil reason is ignored.
func (o *Output) Reject(reason error) {
	if reason != nil && o.reason == nil {
		o.reason = reason
	}
}

func (o *Output) reset() {
	clear(o.records)
	o.records = o.records[:0]
	o.reason = nil
}
