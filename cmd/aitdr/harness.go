package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/schemas"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// harness runs the whole pipeline (runPipeline) in the background and
// watches it from outside, as an operator would: Kafka offsets and group
// lag, the responder's JetStream consumer, ClickHouse counts. aitdr eval
// and aitdr bench drive the pipeline through it.
type harness struct {
	cfg    config.Config
	ep     endpoints
	cancel context.CancelFunc
	done   chan error
	// stopped is set once done was read.
	stopped bool
	stopErr error

	kc  *kgo.Client
	adm *kadm.Client
	nc  *nats.Conn
	js  jetstream.JetStream
	ch  driver.Conn
	// groups are the stages' consumer groups.
	groups []string
}

// startHarness starts the pipeline of cfg and returns once it accepts
// work, connected to its Kafka, NATS and ClickHouse.
func startHarness(ctx context.Context, cfg config.Config, logger *slog.Logger, startTimeout time.Duration) (*harness, error) {
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h := &harness{cfg: cfg, cancel: cancel, done: make(chan error, 1)}
	started := make(chan endpoints, 1)
	go func() {
		h.done <- runPipeline(pctx, cfg, logger, runOptions{started: func(e endpoints) { started <- e }})
	}()
	select {
	case h.ep = <-started:
	case err := <-h.done:
		h.stopped = true
		cancel()
		if err == nil {
			err = errors.New("it stopped at once")
		}
		return nil, fmt.Errorf("start the pipeline: %w", err)
	case <-time.After(startTimeout):
		h.stop()
		return nil, fmt.Errorf("start the pipeline: not up within %s", startTimeout)
	case <-ctx.Done():
		h.stop()
		return nil, ctx.Err()
	}
	for _, st := range h.ep.stages {
		h.groups = append(h.groups, cfg.Kafka.Topics.Prefix+"aitdr-"+st)
	}
	if err := h.connect(); err != nil {
		h.stop()
		return nil, err
	}
	return h, nil
}

func (h *harness) connect() error {
	opts, err := h.cfg.Kafka.ClientOpts(h.ep.kafkaBrokers)
	if err != nil {
		return err
	}
	if h.kc, err = kgo.NewClient(opts...); err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	h.adm = kadm.NewClient(h.kc)
	if h.nc, err = nats.Connect(h.ep.natsURL, nats.Name("aitdr-harness")); err != nil {
		return fmt.Errorf("connect to nats %s: %w", h.ep.natsURL, err)
	}
	if h.js, err = jetstream.New(h.nc); err != nil {
		return fmt.Errorf("jetstream on %s: %w", h.ep.natsURL, err)
	}
	if h.ch, err = chschema.Connect(h.ep.clickhouse); err != nil {
		return err
	}
	return nil
}

// table returns the qualified name of a ClickHouse table of the schema.
func (h *harness) table(name string) string {
	db := h.cfg.ClickHouse.Schema.Database
	if db == "" {
		db = chschema.DefaultDatabase
	}
	return "`" + strings.ReplaceAll(db, "`", "``") + "`." + name
}

// stop ends the pipeline and waits for it to drain and stop; it returns
// the pipeline's error. It may be called more than once.
func (h *harness) stop() error {
	if h.ch != nil {
		h.ch.Close()
		h.ch = nil
	}
	if h.nc != nil {
		h.nc.Close()
		h.nc = nil
	}
	if h.kc != nil {
		h.kc.Close()
		h.kc = nil
	}
	h.cancel()
	if !h.stopped {
		h.stopErr = <-h.done
		h.stopped = true
	}
	return h.stopErr
}

// failed returns the pipeline's error if it stopped on its own.
func (h *harness) failed() error {
	if h.stopped {
		return h.stopErr
	}
	select {
	case err := <-h.done:
		h.stopped = true
		h.stopErr = err
		if err == nil {
			err = errors.New("the pipeline stopped")
		}
		return err
	default:
		return nil
	}
}

// producer returns a Kafka client for the pipeline's brokers, tuned for
// throughput; the caller closes it.
func (h *harness) producer(extra ...kgo.Opt) (*kgo.Client, error) {
	opts, err := h.cfg.Kafka.ClientOpts(h.ep.kafkaBrokers)
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.ProducerLinger(5*time.Millisecond), kgo.RecordDeliveryTimeout(time.Minute))
	c, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	return c, nil
}

// topicTotal returns the number of records ever written to topic (the sum
// of its partitions' end offsets).
func (h *harness) topicTotal(ctx context.Context, topic string) (int64, error) {
	ends, err := h.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	var total int64
	var errs []error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			errs = append(errs, o.Err)
			return
		}
		total += o.Offset
	})
	if len(errs) > 0 {
		return total, fmt.Errorf("end offsets of %s: %w", topic, errors.Join(errs...))
	}
	return total, nil
}

// drainState is one look at how far the pipeline is behind.
type drainState struct {
	// Lag is the total consumer lag of the stages' groups, by stage group.
	Lag      int64
	LagError error
	// Pending is what the responder's JetStream consumer has not yet
	// acknowledged.
	Pending      uint64
	PendingError error
	// Rows counts the rows of the events, alerts, response_actions and
	// response_times tables (all versions, no FINAL): they stop moving
	// once every write landed.
	Rows      [4]uint64
	RowsError error
}

// settled reports whether nothing is behind.
func (s drainState) settled() bool {
	return s.LagError == nil && s.PendingError == nil && s.RowsError == nil && s.Lag == 0 && s.Pending == 0
}

func (s drainState) String() string {
	text := fmt.Sprintf("lag %d, responder pending %d, rows: events %d, alerts %d, actions %d, response times %d",
		s.Lag, s.Pending, s.Rows[0], s.Rows[1], s.Rows[2], s.Rows[3])
	for _, err := range []error{s.LagError, s.PendingError, s.RowsError} {
		if err != nil {
			text += "; " + err.Error()
		}
	}
	return text
}

// look takes one drainState.
func (h *harness) look(ctx context.Context) drainState {
	var st drainState
	lags, err := h.adm.Lag(ctx, h.groups...)
	if err != nil {
		st.LagError = fmt.Errorf("lag: %w", err)
	}
	for _, g := range h.groups {
		l, ok := lags[g]
		switch {
		case !ok:
			st.LagError = errors.Join(st.LagError, fmt.Errorf("lag of %s: not described", g))
		case l.Error() != nil:
			st.LagError = errors.Join(st.LagError, fmt.Errorf("lag of %s: %w", g, l.Error()))
		default:
			st.Lag += l.Lag.Total()
		}
	}
	if cons, err := h.js.Consumer(ctx, schemas.StreamAlerts, h.cfg.Respond.Consumer); err != nil {
		st.PendingError = fmt.Errorf("responder consumer: %w", err)
	} else if info, err := cons.Info(ctx); err != nil {
		st.PendingError = fmt.Errorf("responder consumer: %w", err)
	} else {
		st.Pending = info.NumPending + uint64(info.NumAckPending) + uint64(info.NumRedelivered)
	}
	row := h.ch.QueryRow(ctx, fmt.Sprintf(`SELECT
		(SELECT count() FROM %s), (SELECT count() FROM %s), (SELECT count() FROM %s), (SELECT count() FROM %s)`,
		h.table("events"), h.table("alerts"), h.table("response_actions"), h.table("response_times")))
	if err := row.Scan(&st.Rows[0], &st.Rows[1], &st.Rows[2], &st.Rows[3]); err != nil {
		st.RowsError = fmt.Errorf("clickhouse counts: %w", err)
	}
	return st
}

// lookFailure is how long the looks at a draining pipeline may fail
// before drain gives up.
const lookFailure = 30 * time.Second

// drain waits until every stage caught up, the responder acknowledged
// every alert and the ClickHouse row counts held still for stable; it
// calls progress with each look. It returns the last look, and an error
// when the pipeline failed or timeout passed first.
func (h *harness) drain(ctx context.Context, timeout, stable time.Duration, progress func(drainState)) (drainState, error) {
	deadline := time.Now().Add(timeout)
	var last drainState
	var still time.Time   // since when the counts held, while settled
	var failing time.Time // since when a look has failed
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := h.failed(); err != nil {
			return last, fmt.Errorf("pipeline failed while draining: %w", err)
		}
		lookCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		st := h.look(lookCtx)
		cancel()
		if progress != nil {
			progress(st)
		}
		now := time.Now()
		if err := errors.Join(st.LagError, st.PendingError, st.RowsError); err == nil {
			failing = time.Time{}
		} else if failing.IsZero() {
			failing = now
		} else if now.Sub(failing) > lookFailure {
			return st, fmt.Errorf("cannot watch the pipeline drain for %s: %w", lookFailure, err)
		}
		switch {
		case !st.settled() || st.Rows != last.Rows:
			still = time.Time{}
			if st.settled() {
				still = now
			}
		case still.IsZero():
			still = now
		case now.Sub(still) >= stable:
			return st, nil
		}
		last = st
		if now.After(deadline) {
			return st, fmt.Errorf("the pipeline did not drain within %s: %s", timeout, st)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-tick.C:
		}
	}
}

// freeLoopbackAddr returns a loopback address whose port was free at the
// time of the call, for listeners that need a known port.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// isolate points every listener of cfg at a free loopback port and its
// data at dataDir, so that a harness runs beside anything else on the
// machine (another aitdr run, the tests).
func isolate(cfg *config.Config, dataDir string) error {
	cfg.DataDir = dataDir
	cfg.Kafka.EmbeddedListen = "127.0.0.1:0"
	cfg.NATS.EmbeddedListen = "127.0.0.1:0"
	cfg.Telemetry.Listen = "127.0.0.1:0"
	cfg.ClickHouse.Embedded.Listen = "127.0.0.1:0"
	cfg.ClickHouse.Embedded.DataDir = ""
	cfg.Respond.HTTP.Listen = ""
	addr, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	cfg.Ingest.HTTP.Listen = addr
	return nil
}
