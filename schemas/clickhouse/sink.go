package clickhouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"mime"
	"slices"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	chcolumn "github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// Defaults of the SinkConfig fields left at their zero value.
const (
	// DefaultMaxInsertBytes bounds one insert: 16 MiB of records, about
	// 6000 scored events with their raw records.
	DefaultMaxInsertBytes = 16 << 20
	// DefaultInsertTimeout bounds one insert attempt.
	DefaultInsertTimeout = time.Minute
	// DefaultRetryMin is the first wait after a failed insert.
	DefaultRetryMin = 100 * time.Millisecond
	// DefaultRetryMax caps the wait between insert attempts.
	DefaultRetryMax = 10 * time.Second
	// DefaultFlushInterval is how long rows wait for more before they are
	// inserted: ClickHouse wants about one insert a second per table.
	DefaultFlushInterval = time.Second
)

// SinkConfig configures a Sink. Zero values of the optional fields take the
// defaults.
type SinkConfig struct {
	// Database holds the tables (see Options.Database). Default
	// DefaultDatabase.
	Database string `yaml:"database"`
	// EventsTopic carries the events written to the events table
	// (schemas.Event, encoded as its aitdr-content-type header says).
	// Default schemas.TopicScored.
	EventsTopic string `yaml:"events_topic"`
	// AlertsTopic carries the alerts written to the alerts table (OCSF
	// Detection Finding JSON). Default schemas.TopicAlerts.
	AlertsTopic string `yaml:"alerts_topic"`
	// IdentitiesTopic carries the identity versions written to the
	// identities table (schemas.Identity). Default
	// schemas.TopicIdentityChangelog.
	IdentitiesTopic string `yaml:"identities_topic"`
	// MaxInsertBytes bounds the size of one insert, estimated from the
	// records' sizes: a batch larger than this is inserted in several parts
	// (each deduplicated on its own), so that a large poll never exceeds
	// the server's request limits. Default DefaultMaxInsertBytes.
	MaxInsertBytes int `yaml:"max_insert_bytes"`
	// FlushInterval is the longest a row waits in the sink for more rows
	// before they are inserted together; the sink also inserts as soon as
	// it holds MaxInsertBytes. Rows of several polls go in one insert, so
	// that the inserts' size follows the traffic, not how much the brokers
	// had buffered at each poll (a few hundred rows, each insert costing
	// ClickHouse a new part per partition and materialized view).
	// Offsets are committed after the insert. Default DefaultFlushInterval.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// InsertTimeout bounds one insert attempt. Default DefaultInsertTimeout.
	InsertTimeout time.Duration `yaml:"insert_timeout"`
	// RetryMin is the wait after the first failed insert; each further
	// failure doubles it up to RetryMax, each wait jittered down by up to a
	// half. Defaults DefaultRetryMin and DefaultRetryMax.
	RetryMin time.Duration `yaml:"retry_min"`
	// RetryMax caps the wait between insert attempts.
	RetryMax time.Duration `yaml:"retry_max"`
}

// Validate returns every problem of the config joined with errors.Join, each
// naming its field, or nil.
func (c SinkConfig) Validate() error {
	var errs []error
	if c.Database != "" && !identRe.MatchString(c.Database) {
		errs = append(errs, fmt.Errorf("database: %q is not a plain identifier (letters, digits, underscores)", c.Database))
	}
	d := c.withDefaults()
	seen := map[string]string{}
	for _, t := range []struct{ field, topic string }{
		{"events_topic", d.EventsTopic}, {"alerts_topic", d.AlertsTopic}, {"identities_topic", d.IdentitiesTopic},
	} {
		if other, ok := seen[t.topic]; ok {
			errs = append(errs, fmt.Errorf("%s: %q is also %s", t.field, t.topic, other))
		}
		seen[t.topic] = t.field
	}
	for _, f := range []struct {
		field string
		v     time.Duration
	}{{"flush_interval", c.FlushInterval}, {"insert_timeout", c.InsertTimeout}, {"retry_min", c.RetryMin}, {"retry_max", c.RetryMax}} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%s: %s is negative", f.field, f.v))
		}
	}
	if c.MaxInsertBytes < 0 {
		errs = append(errs, fmt.Errorf("max_insert_bytes: %d is negative", c.MaxInsertBytes))
	}
	if d.RetryMax < d.RetryMin {
		errs = append(errs, fmt.Errorf("retry_max: %s is less than retry_min %s", d.RetryMax, d.RetryMin))
	}
	return errors.Join(errs...)
}

func (c SinkConfig) withDefaults() SinkConfig {
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.EventsTopic == "" {
		c.EventsTopic = schemas.TopicScored
	}
	if c.AlertsTopic == "" {
		c.AlertsTopic = schemas.TopicAlerts
	}
	if c.IdentitiesTopic == "" {
		c.IdentitiesTopic = schemas.TopicIdentityChangelog
	}
	if c.MaxInsertBytes == 0 {
		c.MaxInsertBytes = DefaultMaxInsertBytes
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.InsertTimeout == 0 {
		c.InsertTimeout = DefaultInsertTimeout
	}
	if c.RetryMin == 0 {
		c.RetryMin = DefaultRetryMin
	}
	if c.RetryMax == 0 {
		c.RetryMax = max(DefaultRetryMax, c.RetryMin)
	}
	return c
}

// Topics returns the topics the sink consumes, for stream.Config.Topics.
func (c SinkConfig) Topics() []string {
	d := c.withDefaults()
	return []string{d.EventsTopic, d.AlertsTopic, d.IdentitiesTopic}
}

// Metric names of the sink. Each carries the attribute aitdr.table.
const (
	// MetricRowsWritten counts rows inserted (each row once, however many
	// attempts its insert took).
	MetricRowsWritten = "aitdr.sink.rows.written"
	// MetricInsertDuration is the duration of insert attempts in seconds,
	// with the attribute aitdr.result: ok or error.
	MetricInsertDuration = "aitdr.sink.insert.duration"
	// MetricInsertRetries counts failed insert attempts that were retried.
	MetricInsertRetries = "aitdr.sink.insert.retries"
)

const instrumentation = "github.com/aitdr/aitdr/schemas/clickhouse"

// SinkOption sets an optional dependency of a Sink.
type SinkOption func(*Sink)

// WithLogger sets where the sink logs insert failures and recoveries.
// Default slog.Default().
func WithLogger(l *slog.Logger) SinkOption { return func(s *Sink) { s.log = l } }

// WithMeterProvider sets where the sink's metrics go. Default
// otel.GetMeterProvider() at the time NewSink is called.
func WithMeterProvider(mp metric.MeterProvider) SinkOption { return func(s *Sink) { s.mp = mp } }

// Sink is the stage that writes the pipeline into ClickHouse: a
// stream.Processor and stream.BufferingFlusher that turns records into rows
// of events, alerts and identities, column by column, and at Flush inserts
// one batch per table, when SinkConfig.FlushInterval has passed since the
// first row or MaxInsertBytes of rows are waiting.
//
// Writes are idempotent. Each insert carries an insert_deduplication_token
// derived from the topic, partition and first and last offset of the records
// it holds, so that an attempt that reached ClickHouse but whose answer was
// lost is dropped when retried (single-server tables keep the tokens of
// their last Options.DedupWindow inserts; Replicated ones of their last
// 10000). Records delivered again after a crash come in batches cut
// differently; their rows collapse with the first copies on merge (every
// table is a ReplacingMergeTree on its id), so exact counts use FINAL.
//
// When ClickHouse is down, or an insert fails for any reason but a permanent
// one (an unknown table or column, a type mismatch, a refused login), Flush
// retries with capped, jittered exponential backoff and holds: the Runner
// commits nothing meanwhile, so nothing is lost, and it stops when ctx ends.
// A record that cannot become a row (undecodable, a time DateTime64 cannot
// hold, no id) is rejected to the dead-letter topic with the reason.
//
// A Sink is used by one Runner: Process and Flush are not safe for
// concurrent use.
type Sink struct {
	conn driver.Conn
	cfg  SinkConfig
	log  *slog.Logger
	mp   metric.MeterProvider
	ins  sinkInstruments

	events     *pending[schemas.Event]
	alerts     *pending[alertRow]
	identities *pending[identityRow]
	tables     []flushable
	// Rows waiting for Flush: their estimated bytes and when the first came.
	bufferedBytes int
	firstBuffered time.Time

	// Decoding scratch, reused from record to record.
	event    schemas.Event
	alert    alertRow
	identity identityRow
}

var (
	_ stream.Processor        = (*Sink)(nil)
	_ stream.BufferingFlusher = (*Sink)(nil)
)

// NewSink returns a Sink writing through conn (see Connect) into the tables
// of cfg.Database, which Migrate creates. It validates cfg but does not
// connect.
func NewSink(conn driver.Conn, cfg SinkConfig, opts ...SinkOption) (*Sink, error) {
	if conn == nil {
		return nil, errors.New("clickhouse sink: nil connection")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("clickhouse sink: invalid config: %w", err)
	}
	s := &Sink{conn: conn, cfg: cfg.withDefaults()}
	for _, o := range opts {
		o(s)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.mp == nil {
		s.mp = otel.GetMeterProvider()
	}
	if err := s.ins.init(s.mp.Meter(instrumentation)); err != nil {
		return nil, fmt.Errorf("clickhouse sink: %w", err)
	}
	s.events = newPending(eventsTable)
	s.alerts = newPending(alertsTable)
	s.identities = newPending(identitiesTable)
	s.tables = []flushable{s.events, s.alerts, s.identities}
	return s, nil
}

// Process turns one record into a row of the table its topic feeds. It
// rejects the record when it cannot become a row; it never fails.
func (s *Sink) Process(_ context.Context, in *kgo.Record, out *stream.Output) error {
	var err error
	switch in.Topic {
	case s.cfg.EventsTopic:
		err = s.addEvent(in)
	case s.cfg.AlertsTopic:
		err = s.addAlert(in)
	case s.cfg.IdentitiesTopic:
		err = s.addIdentity(in)
	default:
		err = fmt.Errorf("clickhouse sink: no table is fed from topic %q", in.Topic)
	}
	if err != nil {
		out.Reject(err)
		return nil
	}
	if s.bufferedBytes == 0 {
		s.firstBuffered = time.Now()
	}
	s.bufferedBytes += len(in.Key) + len(in.Value) + rowOverhead
	return nil
}

// FlushDue reports whether the rows waiting are to be inserted now: the
// first came FlushInterval ago, or they reach MaxInsertBytes.
func (s *Sink) FlushDue(now time.Time) (bool, time.Time) {
	if s.bufferedBytes == 0 {
		return false, time.Time{}
	}
	by := s.firstBuffered.Add(s.cfg.FlushInterval)
	return s.bufferedBytes >= s.cfg.MaxInsertBytes || !now.Before(by), by
}

func (s *Sink) addEvent(in *kgo.Record) error {
	// DecodeEvent reuses the raw record's buffer of the previous event,
	// which the events batch still holds without a copy: start afresh.
	s.event.Raw.Data = nil
	if err := schemas.DecodeEvent(header(in, schemas.HeaderContentType), in.Value, &s.event); err != nil {
		return err
	}
	if err := s.events.add(&s.event, in); err != nil {
		return fmt.Errorf("event %q does not fit the events table: %w", s.event.ID, err)
	}
	return nil
}

func (s *Sink) addAlert(in *kgo.Record) error {
	if ct := header(in, schemas.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != ocsf.ContentType && mt != "application/json" {
			return fmt.Errorf("decode alert: content type %q is not %s", ct, ocsf.ContentType)
		}
	}
	s.alert.f = ocsf.DetectionFinding{}
	if err := json.Unmarshal(in.Value, &s.alert.f); err != nil {
		return fmt.Errorf("decode alert (json): %w", err)
	}
	s.alert.json = string(in.Value)
	if err := s.alerts.add(&s.alert, in); err != nil {
		return fmt.Errorf("alert %q does not fit the alerts table: %w", s.alert.f.FindingInfo.UID, err)
	}
	return nil
}

func (s *Sink) addIdentity(in *kgo.Record) error {
	if in.Value == nil {
		return nil // a tombstone of the compacted changelog: nothing to store
	}
	if err := schemas.DecodeIdentity(header(in, schemas.HeaderContentType), in.Value, &s.identity.id); err != nil {
		return err
	}
	s.identity.updated = in.Timestamp.UTC()
	if err := s.identities.add(&s.identity, in); err != nil {
		return fmt.Errorf("identity %q does not fit the identities table: %w", s.identity.id.ID, err)
	}
	return nil
}

// header returns the value of the record's header key, or "".
func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// Flush inserts the rows waiting, one insert per table that has rows
// (several for more than SinkConfig.MaxInsertBytes), retrying each until it
// succeeds, a permanent error, or ctx ends. After an error the rows are
// dropped: the Runner delivers their batches again.
func (s *Sink) Flush(ctx context.Context) error {
	var err error
	for _, t := range s.tables {
		if t.rows() == 0 {
			continue
		}
		if err = s.write(ctx, t); err != nil {
			break
		}
		t.reset()
	}
	if err != nil {
		for _, t := range s.tables {
			t.reset()
		}
	}
	s.bufferedBytes = 0
	return err
}

// write inserts the rows of t, part by part, each retried with backoff.
func (s *Sink) write(ctx context.Context, t flushable) error {
	token := t.token()
	chunks := t.chunks(s.cfg.MaxInsertBytes)
	for i, c := range chunks {
		tok := token
		if len(chunks) > 1 {
			tok = fmt.Sprintf("%s-%d", token, i)
		}
		if err := s.writeChunk(ctx, t, tok, c[0], c[1]); err != nil {
			return err
		}
	}
	return nil
}

// writeChunk inserts rows [from, to) of t, retrying with backoff.
func (s *Sink) writeChunk(ctx context.Context, t flushable, token string, from, to int) error {
	name := t.tableName()
	attrs := s.ins.tableAttrs(name)
	rows := to - from
	var first time.Time
	for attempt := 1; ; attempt++ {
		start := time.Now()
		err := s.insertOnce(ctx, t, token, from, to)
		s.ins.duration.Record(ctx, time.Since(start).Seconds(), attrs.result(err == nil))
		if err == nil {
			s.ins.rows.Add(ctx, int64(rows), attrs.table)
			if attempt > 1 {
				s.log.Info("clickhouse insert succeeded after retries", "table", name, "rows", rows,
					"attempts", attempt, "outage", time.Since(first).Round(time.Millisecond))
			}
			return nil
		}
		err = fmt.Errorf("insert %d rows into %s.%s (attempt %d): %w", rows, s.cfg.Database, name, attempt, err)
		if ctx.Err() != nil {
			return errors.Join(err, context.Cause(ctx))
		}
		if permanent(err) {
			return err
		}
		if attempt == 1 {
			first = start
		}
		delay := s.backoff(attempt)
		if attempt == 1 || attempt%10 == 0 {
			s.log.Warn("clickhouse insert failed; retrying until it succeeds (offsets are not committed meanwhile)",
				"table", name, "rows", rows, "attempt", attempt, "next_in", delay.Round(time.Millisecond), "err", err)
		}
		s.ins.retries.Add(ctx, 1, attrs.table)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return errors.Join(err, context.Cause(ctx))
		case <-timer.C:
		}
	}
}

// insertOnce makes one attempt at inserting rows [from, to) of t.
func (s *Sink) insertOnce(ctx context.Context, t flushable, token string, from, to int) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.InsertTimeout)
	defer cancel()
	return t.insert(ctx, s.conn, s.cfg.Database, token, from, to)
}

// backoff is the wait after the attempt-th failure: RetryMin doubled per
// failure, capped at RetryMax, minus a random part of up to a half.
func (s *Sink) backoff(attempt int) time.Duration {
	d := s.cfg.RetryMax
	if attempt < 32 {
		d = min(s.cfg.RetryMin<<(attempt-1), s.cfg.RetryMax)
	}
	return d/2 + rand.N(d/2+1)
}

// permanentCodes are the ClickHouse errors that retrying the same insert
// cannot fix: the schema or the credentials are wrong.
var permanentCodes = map[int32]string{
	16:  "NO_SUCH_COLUMN_IN_TABLE",
	47:  "UNKNOWN_IDENTIFIER",
	53:  "TYPE_MISMATCH",
	60:  "UNKNOWN_TABLE",
	62:  "SYNTAX_ERROR",
	81:  "UNKNOWN_DATABASE",
	115: "UNKNOWN_SETTING",
	164: "READONLY",
	192: "UNKNOWN_USER",
	193: "WRONG_PASSWORD",
	497: "ACCESS_DENIED",
	516: "AUTHENTICATION_FAILED",
}

// permanent reports whether retrying the insert that failed with err cannot
// succeed.
func permanent(err error) bool {
	var ex *ch.Exception
	if errors.As(err, &ex) {
		_, ok := permanentCodes[ex.Code]
		return ok
	}
	var conv *chcolumn.ColumnConverterError
	return errors.As(err, &conv)
}

// flushable is the part of a pending batch the sink flushes.
type flushable interface {
	tableName() string
	rows() int
	token() string
	chunks(maxBytes int) [][2]int
	insert(ctx context.Context, conn driver.Conn, db, token string, from, to int) error
	reset()
}

// offsetRange is the first and last offset of the records of one partition
// in a batch.
type offsetRange struct {
	topic       string
	partition   int32
	first, last int64
}

// pending is the batch of rows of one table and where they came from.
type pending[R any] struct {
	*batch[R]
	ranges []offsetRange
	query  string
}

func newPending[R any](t *table[R]) *pending[R] {
	return &pending[R]{batch: newBatch(t)}
}

// add appends the row r made of record rec.
func (p *pending[R]) add(r *R, rec *kgo.Record) error {
	if err := p.batch.add(r, len(rec.Key)+len(rec.Value)+rowOverhead); err != nil {
		return err
	}
	for i := range p.ranges {
		o := &p.ranges[i]
		if o.partition == rec.Partition && o.topic == rec.Topic {
			o.first, o.last = min(o.first, rec.Offset), max(o.last, rec.Offset)
			return nil
		}
	}
	p.ranges = append(p.ranges, offsetRange{rec.Topic, rec.Partition, rec.Offset, rec.Offset})
	return nil
}

func (p *pending[R]) tableName() string { return p.t.name }
func (p *pending[R]) rows() int         { return p.batch.rows }

// token is the insert_deduplication_token of the batch: a hash of the table
// and of the topic, partition and first and last offset of every partition
// its rows came from.
func (p *pending[R]) token() string {
	slices.SortFunc(p.ranges, func(a, b offsetRange) int {
		if c := strings.Compare(a.topic, b.topic); c != 0 {
			return c
		}
		return int(a.partition) - int(b.partition)
	})
	h := sha256.New()
	h.Write([]byte(p.t.name))
	var buf []byte
	for _, r := range p.ranges {
		buf = append(buf[:0], 0)
		buf = append(buf, r.topic...)
		buf = append(buf, 0)
		buf = strconv.AppendInt(buf, int64(r.partition), 10)
		buf = append(buf, ':')
		buf = strconv.AppendInt(buf, r.first, 10)
		buf = append(buf, '-')
		buf = strconv.AppendInt(buf, r.last, 10)
		h.Write(buf)
	}
	return "aitdr-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// rowOverhead is added to a record's size to estimate its row's size: the
// fixed-width columns and the offsets of the variable-width ones.
const rowOverhead = 256

// insert inserts rows [from, to) with the deduplication token.
func (p *pending[R]) insert(ctx context.Context, conn driver.Conn, db, token string, from, to int) error {
	settings := ch.Settings{
		// Rows of one batch rarely share a sorting key; collapsing them is
		// left to merges, which halves the engine's cost of an insert.
		"optimize_on_insert": 0,
	}
	if token != "" {
		settings["insert_deduplication_token"] = token
	}
	maps.Copy(settings, p.t.settings)
	ctx = ch.Context(ctx, ch.WithSettings(settings), ch.WithColumnNamesAndTypes(p.t.namesAndTypes()))
	if p.query == "" {
		p.query = p.t.insertQuery(db)
	}
	b, err := conn.PrepareBatch(ctx, p.query)
	if err != nil {
		return err
	}
	if err := p.appendTo(b, from, to); err != nil {
		return errors.Join(err, b.Abort())
	}
	return b.Send()
}

func (p *pending[R]) reset() {
	p.batch.reset()
	p.ranges = p.ranges[:0]
}

// sinkInstruments are the sink's metrics.
type sinkInstruments struct {
	rows     metric.Int64Counter
	duration metric.Float64Histogram
	retries  metric.Int64Counter
	attrs    map[string]*tableAttrs
}

// tableAttrs are the measurement options of one table.
type tableAttrs struct {
	table     metric.MeasurementOption
	ok, error metric.MeasurementOption
}

func (a *tableAttrs) result(ok bool) metric.MeasurementOption {
	if ok {
		return a.ok
	}
	return a.error
}

func (ins *sinkInstruments) tableAttrs(table string) *tableAttrs {
	if a, ok := ins.attrs[table]; ok {
		return a
	}
	t := attribute.String("aitdr.table", table)
	a := &tableAttrs{
		table: metric.WithAttributeSet(attribute.NewSet(t)),
		ok:    metric.WithAttributeSet(attribute.NewSet(t, attribute.String("aitdr.result", "ok"))),
		error: metric.WithAttributeSet(attribute.NewSet(t, attribute.String("aitdr.result", "error"))),
	}
	ins.attrs[table] = a
	return a
}

func (ins *sinkInstruments) init(m metric.Meter) error {
	ins.attrs = make(map[string]*tableAttrs)
	var err error
	if ins.rows, err = m.Int64Counter(MetricRowsWritten, metric.WithUnit("{row}"),
		metric.WithDescription("Rows inserted into ClickHouse, by table.")); err != nil {
		return fmt.Errorf("create metric %s: %w", MetricRowsWritten, err)
	}
	if ins.duration, err = m.Float64Histogram(MetricInsertDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of ClickHouse batch insert attempts, by table and result.")); err != nil {
		return fmt.Errorf("create metric %s: %w", MetricInsertDuration, err)
	}
	if ins.retries, err = m.Int64Counter(MetricInsertRetries, metric.WithUnit("{attempt}"),
		metric.WithDescription("Failed ClickHouse insert attempts that were retried, by table.")); err != nil {
		return fmt.Errorf("create metric %s: %w", MetricInsertRetries, err)
	}
	return nil
}
