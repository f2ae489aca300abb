package responder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"golang.org/x/sync/errgroup"

	"github.com/aitdr/aitdr/internal/filewatch"
	"github.com/aitdr/aitdr/internal/lograte"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// Responder consumes alerts from the alert stream with a durable
// JetStream consumer, plans each with a playbook under the guardrails
// (class policy, protected identities, blast-radius limits, dry run), runs
// the steps on connectors, and records every decision and outcome.
//
// Delivery is at least once and action at most once per step: before a
// step runs, its record (keyed by an action id derived from the alert id
// and the step) is checked and claimed in the key-value store; the outcome
// is recorded there before the alert is acknowledged. A redelivered or
// duplicate alert finds its plan and outcomes and does nothing twice; a
// responder that dies inside a connector call leaves the step claimed
// under a lease, and the step is repeated with the same idempotency key
// once the lease ran out.
//
// Create it with New and run it with Run. Its methods are safe for
// concurrent use.
type Responder struct {
	cfg       Config
	js        jetstream.JetStream
	reg       *Registry
	o         options
	ins       *instruments
	policy    Policy
	protected Protected
	limiter   *Limiter
	playbooks atomic.Pointer[PlaybookSet]
	reloadMu  sync.Mutex

	storeOnce sync.Once
	store     *Store
	storeErr  error

	runQ, emitQ, alertQ *keyQueue

	// auditWrites follows the writes to the audit sink (ClickHouse) and
	// trail the publishes and record updates of the trail (NATS): each
	// logs its failures rate-limited. backlog counts the rows waiting.
	auditWrites, trail *lograte.Outage
	backlog            auditBacklog

	// beforeAck, when set by a test of this package, runs after an
	// alert's outcomes are recorded and before it is acknowledged: the
	// place to simulate a crash.
	beforeAck func(alertID string)
}

// New returns a responder for cfg on js, running steps on the connectors
// of reg. It loads the playbooks; a bad playbook file is an error here
// (at reload, the previous set keeps running instead).
func New(cfg Config, js jetstream.JetStream, reg *Registry, opts ...Option) (*Responder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("responder config: %w", err)
	}
	if reg == nil {
		reg, _ = NewRegistry(nil)
	}
	r := &Responder{cfg: cfg, js: js, reg: reg, o: newOptions(opts),
		runQ: newKeyQueue(), emitQ: newKeyQueue(), alertQ: newKeyQueue()}
	r.auditWrites = lograte.New(r.o.log, "responder: write the audit trail to ClickHouse",
		lograte.WithInterval(r.o.logInterval), lograte.WithClock(r.o.now))
	r.trail = lograte.New(r.o.log, "responder: record the audit trail on NATS",
		lograte.WithInterval(r.o.logInterval), lograte.WithClock(r.o.now))
	var err error
	if r.ins, err = newInstruments(r.o.mp.Meter(instrumentation), r.backlog.total); err != nil {
		return nil, err
	}
	if r.policy, err = ParsePolicy(cfg.EffectivePolicy()); err != nil {
		return nil, fmt.Errorf("responder policy: %w", err)
	}
	if r.protected, err = NewProtected(cfg.Protected); err != nil {
		return nil, fmt.Errorf("responder protected identities: %w", err)
	}
	r.limiter = NewLimiter(cfg.Limits, r.o.now)
	set, err := LoadPlaybooks(cfg.Playbooks, cfg.DefaultPlaybooks)
	if err != nil {
		return nil, fmt.Errorf("load playbooks: %w", err)
	}
	r.playbooks.Store(set)
	return r, nil
}

// Playbooks returns the playbook set in use.
func (r *Responder) Playbooks() *PlaybookSet { return r.playbooks.Load() }

// Reload loads the playbook files again and swaps the set in at once; on
// any problem it returns it (each with file:line:col) and the previous
// set keeps running.
func (r *Responder) Reload() error {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	set, err := LoadPlaybooks(r.cfg.Playbooks, r.cfg.DefaultPlaybooks)
	if err != nil {
		r.ins.reloads.Add(context.Background(), 1, metric.WithAttributes(attribute.String("aitdr.result", "error")))
		return fmt.Errorf("reload playbooks (the previous set keeps running): %w", err)
	}
	r.playbooks.Store(set)
	r.ins.reloads.Add(context.Background(), 1, metric.WithAttributes(attribute.String("aitdr.result", "ok")))
	return nil
}

// planner returns a planner on the current playbook set.
func (r *Responder) planner() *Planner {
	return &Planner{
		Playbooks: r.playbooks.Load(), Policy: r.policy, Protected: r.protected, Registry: r.reg,
		DryRun: r.cfg.DryRun, MaxAlertAge: r.cfg.MaxAlertAge, NotifyConnector: r.cfg.NotifyConnector,
		StepTimeout: r.cfg.Step.Timeout, StepRetries: r.cfg.Step.Retries,
	}
}

// Store opens (creating them when needed) and returns the key-value store
// of actions and alerts.
func (r *Responder) Store(ctx context.Context) (*Store, error) {
	r.storeOnce.Do(func() {
		r.store, r.storeErr = OpenStore(ctx, r.js, StoreConfig{Replicas: r.o.replicas, TTL: r.cfg.RecordTTL})
		if r.store != nil {
			r.store.now = r.o.now
		}
	})
	return r.store, r.storeErr
}

// Run consumes alerts until ctx is done, then stops taking alerts, lets
// the alerts in hand finish their current step, and returns. It also
// runs approved actions and rollbacks, takes over steps whose responder
// died, writes the audit trail, reloads changed playbook files, and
// serves the HTTP API when configured.
func (r *Responder) Run(ctx context.Context) error {
	if _, err := r.Store(ctx); err != nil {
		return err
	}
	if _, err := r.js.Stream(ctx, schemas.StreamActions); err != nil {
		return fmt.Errorf("responder: stream %s: %w (provision the streams: nats.provision)", schemas.StreamActions, err)
	}
	cons, err := r.js.CreateOrUpdateConsumer(ctx, schemas.StreamAlerts, jetstream.ConsumerConfig{
		Durable:        r.cfg.Consumer,
		Description:    "aitdr responder: containment playbooks",
		FilterSubjects: []string{schemas.SubjectAlerts + ".>"},
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        r.cfg.AckWait,
		MaxDeliver:     -1,
		MaxAckPending:  r.cfg.Workers * 4,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("responder: consumer %s on stream %s: %w (provision the streams: nats.provision)", r.cfg.Consumer, schemas.StreamAlerts, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return r.consume(gctx, cons) })
	g.Go(func() error { return r.watchActions(gctx) })
	g.Go(func() error { return r.watchAlerts(gctx) })
	g.Go(func() error { r.emitQ.drainBatch(gctx, r.o.now, time.Second, maxEmitBatch, r.emitActions); return nil })
	g.Go(func() error { r.alertQ.drain(gctx, r.o.now, time.Second, r.emitAlert); return nil })
	g.Go(func() error { r.runQ.drain(gctx, r.o.now, time.Second, r.runApproved); return nil })
	if len(r.cfg.Playbooks) > 0 {
		w := filewatch.New(r.cfg.Playbooks, r.cfg.ReloadInterval)
		g.Go(func() error {
			return w.Run(gctx, func(context.Context) {
				if err := r.Reload(); err != nil {
					r.o.log.Error("responder: playbook reload failed", "err", err)
					return
				}
				r.o.log.Info("responder: playbooks reloaded", "playbooks", len(r.Playbooks().All()))
			})
		})
	}
	if srv := r.httpServer(); srv != nil {
		g.Go(func() error { return srv.run(gctx) })
	}
	r.o.log.Info("responder running", "consumer", r.cfg.Consumer, "dry_run", r.cfg.DryRun,
		"playbooks", len(r.Playbooks().All()), "connectors", r.reg.Names())
	err = g.Wait()
	r.flushAudit(ctx)
	return err
}

// flushAudit makes one last pass, briefly, over the transitions and times
// to respond still to emit, so that the last outcomes before a shutdown
// reach the audit now; what it misses is emitted at the next start.
func (r *Responder) flushAudit(ctx context.Context) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	later := r.o.now().Add(time.Hour)
	if due, _ := r.emitQ.take(later); len(due) > 0 {
		r.emitActions(fctx, due)
	}
	if due, _ := r.alertQ.take(later); len(due) > 0 {
		for _, id := range due {
			_ = r.emitAlert(fctx, id)
		}
	}
}

// consume hands alerts to the workers until ctx is done. Alerts in the
// client's buffer when it stops are delivered again after AckWait.
func (r *Responder) consume(ctx context.Context, cons jetstream.Consumer) error {
	msgs, err := cons.Messages(jetstream.PullMaxMessages(r.cfg.Workers))
	if err != nil {
		return fmt.Errorf("responder: consume %s: %w", schemas.StreamAlerts, err)
	}
	defer msgs.Stop()
	jobs := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	for range r.cfg.Workers {
		wg.Go(func() {
			for m := range jobs {
				r.handle(ctx, m)
			}
		})
	}
	defer wg.Wait()
	defer close(jobs)
	for {
		m, err := msgs.Next(jetstream.NextContext(ctx))
		if ctx.Err() != nil {
			if m != nil {
				_ = m.Nak()
			}
			return nil
		}
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return fmt.Errorf("responder: alert consumer closed: %w", err)
		}
		if err != nil {
			r.o.log.Warn("responder: fetching alerts", "err", err)
			continue
		}
		select {
		case jobs <- m:
		case <-ctx.Done():
			_ = m.Nak()
			return nil
		}
	}
}

// handle handles one delivered alert and acknowledges it once its
// outcomes are recorded; on an infrastructure error it asks for a
// redelivery with a delay that grows with the delivery count.
func (r *Responder) handle(ctx context.Context, m jetstream.Msg) {
	stop := r.keepAlive(m)
	defer stop()
	alertID, err := r.handleAlert(ctx, m)
	switch {
	case errors.Is(err, errShutdown) || ctx.Err() != nil && err != nil:
		return // not acknowledged: delivered again
	case errors.Is(err, errBadAlert):
		return // rejected and terminated
	case err != nil:
		delay := time.Second
		if meta, merr := m.Metadata(); merr == nil {
			delay = min(time.Duration(meta.NumDelivered)*time.Second, 30*time.Second)
		}
		r.o.log.Error("responder: alert not handled, will be delivered again", "alert", alertID, "delay", delay, "err", err)
		_ = m.NakWithDelay(delay)
		return
	}
	if r.beforeAck != nil {
		r.beforeAck(alertID)
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := m.DoubleAck(actx); err != nil {
		// The outcome is recorded: a redelivery finds it and acts on nothing.
		r.o.log.Warn("responder: acknowledge alert", "alert", alertID, "err", err)
	}
}

// keepAlive tells the server the alert is still being worked on, so that
// a long step (retries, slow providers) does not make it redelivered.
func (r *Responder) keepAlive(m jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(max(r.cfg.AckWait/3, 100*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = m.InProgress()
			}
		}
	}()
	return func() { close(done) }
}

var errBadAlert = errors.New("bad alert")

// handleAlert plans the alert once (or finds its plan), runs its due
// steps in order and returns its id.
func (r *Responder) handleAlert(ctx context.Context, m jetstream.Msg) (string, error) {
	a, err := ParseAlert(m.Data())
	if err != nil {
		return "", r.reject(ctx, m, err)
	}
	if a.Activity == ocsf.ActivityClose {
		r.ins.alert(ctx, "closed")
		return a.ID, nil
	}
	rec, err := r.store.Alert(ctx, a.ID)
	switch {
	case errors.Is(err, ErrNotFound):
		rec = r.planner().Plan(a, r.o.now().UTC())
		if meta, err := m.Metadata(); err == nil {
			rec.PublishedAt = meta.Timestamp.UTC()
			for i := range rec.Plan {
				rec.Plan[i].AlertPublishedAt = rec.PublishedAt
			}
		}
		var created bool
		if rec, created, err = r.store.createAlert(ctx, rec); err != nil {
			return a.ID, err
		}
		switch {
		case !created:
			r.ins.alert(ctx, "redelivered")
		case rec.Playbook == "":
			r.ins.alert(ctx, "no_playbook")
		default:
			r.ins.alert(ctx, "planned")
		}
	case err != nil:
		return a.ID, err
	default:
		r.ins.alert(ctx, "redelivered")
	}
	// The plan is stored before its actions: a crash in between leaves
	// the plan, and the redelivery creates what is missing.
	for i := range rec.Plan {
		if err := r.store.createAction(ctx, &rec.Plan[i]); err != nil {
			return a.ID, err
		}
	}
	for i := range rec.Plan {
		if err := r.awaitRunning(ctx, rec.Plan[i].ID); err != nil {
			return a.ID, err
		}
		if err := r.execute(ctx, rec.Plan[i].ID, rec.Finding); err != nil {
			return a.ID, err
		}
	}
	return a.ID, r.refreshContainment(ctx, a.ID)
}

// reject terminates an alert that cannot be handled and publishes it with
// the reason on aitdr.actions.rejected, so that it is kept, not lost.
func (r *Responder) reject(ctx context.Context, m jetstream.Msg, cause error) error {
	body, _ := json.Marshal(struct {
		Subject string          `json:"subject"`
		Reason  string          `json:"reason"`
		Alert   json.RawMessage `json:"alert,omitempty"`
		Raw     string          `json:"raw,omitempty"`
	}{Subject: m.Subject(), Reason: cause.Error(), Alert: validJSON(m.Data()), Raw: rawIfInvalid(m.Data())})
	msg := &nats.Msg{Subject: schemas.SubjectActions + ".rejected", Data: body,
		Header: nats.Header{"Content-Type": []string{"application/json"}}}
	var opts []jetstream.PublishOpt
	if meta, err := m.Metadata(); err == nil {
		opts = append(opts, jetstream.WithMsgID("rejected."+strconv.FormatUint(meta.Sequence.Stream, 10)))
	}
	if _, err := r.js.PublishMsg(ctx, msg, opts...); err != nil {
		return fmt.Errorf("publish rejected alert: %w", err)
	}
	r.ins.alert(ctx, "rejected")
	r.o.log.Warn("responder: alert rejected", "subject", m.Subject(), "err", cause)
	_ = m.TermWithReason(cause.Error())
	return fmt.Errorf("%w: %w", errBadAlert, cause)
}

func validJSON(b []byte) json.RawMessage {
	if json.Valid(b) {
		return b
	}
	return nil
}

func rawIfInvalid(b []byte) string {
	if json.Valid(b) {
		return ""
	}
	return string(b)
}

// runApproved runs what a queued action calls for: an approved action
// (with the approved and due actions of its alert, in step order), a
// rollback, or a step whose lease ran out.
func (r *Responder) runApproved(ctx context.Context, id string) error {
	a, err := r.store.Action(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !claimable(a, r.o.now()) || a.Status == StatusPlanned {
		return nil // planned steps belong to an unacknowledged alert
	}
	rec, err := r.store.Alert(ctx, a.AlertID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	var finding []byte
	ids := []string{id}
	if rec != nil {
		finding = rec.Finding
		if a.RollbackOf == "" {
			ids = rec.actionIDs()
		}
	}
	for _, aid := range ids {
		if err := r.awaitRunning(ctx, aid); err != nil {
			if errors.Is(err, errShutdown) {
				return nil
			}
			return err
		}
		x, err := r.store.Action(ctx, aid)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if x.Status == StatusPlanned || !claimable(x, r.o.now()) {
			continue
		}
		if err := r.execute(ctx, aid, finding); err != nil {
			if errors.Is(err, errShutdown) {
				return nil
			}
			return err
		}
	}
	return nil
}

// awaitRunning waits while action id runs under another responder's lease
// (a duplicate delivery, an approval being run), so that the steps of a
// playbook run in order. It returns when the action is no longer running,
// or its lease ran out (then the caller takes it over).
func (r *Responder) awaitRunning(ctx context.Context, id string) error {
	for {
		a, err := r.store.Action(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if a.Status != StatusRunning || !r.o.now().Before(a.LeaseUntil) {
			return nil
		}
		t := time.NewTimer(50 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return errShutdown
		case <-t.C:
		}
	}
}

func ttrAttrs(rec *AlertRecord) metric.MeasurementOption {
	return metric.WithAttributes(
		attribute.String("aitdr.identity.class", string(rec.Class)),
		attribute.String("aitdr.severity", rec.Severity),
		attribute.Bool("aitdr.dry_run", rec.ContainmentDryRun))
}
