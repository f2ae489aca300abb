// Package simulate makes realistic audit traffic for aitdr: records in the
// real formats of the sources ingest reads (CloudTrail, Okta, Entra ID,
// Google Cloud audit logs, GitHub, Kubernetes, OpenAI, Anthropic, AI
// gateways), made by a simulated organization of AI users, AI builders, AI
// agents, other people and other workloads across several tenants, each
// with working hours and a weekly rhythm in its own time zone, with shadow
// AI, personal accounts, shared agent credentials and dev and prod
// accounts; and injected, labelled attacks on top (see ScenarioKinds).
//
// A Simulator is deterministic: the same Config (with an absolute start
// time) gives byte-identical records and labels. It runs in simulated
// time, paced by a record rate, a speed-up factor, or the wall clock
// (live mode), and hands records to a Sink: the ingest HTTP input
// (HTTPSink), a Kafka raw topic (KafkaSink) or files (FileSink). WriteContext
// writes the files the enrich stage and the visibility report read about
// the organization: its directory, environments, data catalog and
// assumed inventory.
package simulate

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/aitdr/aitdr/ingest/sources"
	"github.com/aitdr/aitdr/schemas"
)

// Sink receives the records of a simulation.
type Sink interface {
	// Write delivers records, in order, and returns once they are
	// accepted (written, answered, acknowledged). An error stops the
	// simulation. Write is not called concurrently, and records may not be
	// kept after it returns.
	Write(ctx context.Context, records []Record) error
}

// Stats count what a run produced.
type Stats struct {
	// Records is the number of records written to the sink.
	Records int64
	// ByProduct counts the records per source product.
	ByProduct map[schemas.Product]int64
	// Injected is the number of records of scenario instances.
	Injected int64
	// Labels is the number of labels written (instances whose records
	// are out).
	Labels int
	// SimTime is the simulated time of the last record out.
	SimTime time.Time
	// Elapsed is the wall time of the run.
	Elapsed time.Duration
}

// Simulator makes the records of one configured simulation. Create it
// with New; it is safe for use by one goroutine at a time.
type Simulator struct {
	cfg   Config
	start time.Time
	end   time.Time
	pop   *population
	opts  options
}

// options are the optional dependencies of a Simulator.
type options struct {
	now      func() time.Time
	labels   io.Writer
	progress func(Stats)
}

// Option configures a Simulator.
type Option func(*options)

// WithClock sets the wall clock: it resolves relative start times, paces
// the output and bounds live mode. Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLabels writes the ground-truth labels to w as JSON lines, each once
// the last record of its instance was accepted by the sink. Default: no
// labels are written.
func WithLabels(w io.Writer) Option { return func(o *options) { o.labels = w } }

// WithProgress calls fn with the running totals after every write to the
// sink, from the goroutine of Run. Default none.
func WithProgress(fn func(Stats)) Option { return func(o *options) { o.progress = fn } }

// New validates cfg, resolves its start time against the clock and draws
// the population. It fails listing every problem of cfg, when a scenario
// has no one to happen to, and when the simulation would end more than a
// day after now (sources reject such event times) outside live mode.
func New(cfg Config, opts ...Option) (*Simulator, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("simulator config: %w", err)
	}
	start, end, err := resolveTime(cfg.Time, o.now())
	if err != nil {
		return nil, fmt.Errorf("simulator config: %w", err)
	}
	pop, err := buildPopulation(&cfg)
	if err != nil {
		return nil, fmt.Errorf("simulator config: %w", err)
	}
	for i, s := range cfg.Scenarios {
		if list, need := pop.candidates(s.Kind); len(list) == 0 {
			return nil, fmt.Errorf("simulator config: %w", &FieldError{Path: fmt.Sprintf("scenarios[%d].kind", i),
				Problem: fmt.Sprintf("%s has no one to happen to: the population needs %s", s.Kind, need)})
		}
	}
	return &Simulator{cfg: cfg, start: start, end: end, pop: pop, opts: o}, nil
}

// resolveTime returns the simulated start and end of t at wall time now.
func resolveTime(t Time, now time.Time) (time.Time, time.Time, error) {
	abs, before, err := parseStart(t.Start)
	if err != nil {
		return time.Time{}, time.Time{}, &FieldError{Path: "time.start", Problem: err.Error()}
	}
	now = now.UTC()
	var start time.Time
	switch {
	case !abs.IsZero():
		start = abs
	case t.Start == "" && !t.Live:
		start = mondayBefore(now.Add(-t.Duration))
	default:
		start = now.Add(-before).Truncate(time.Second)
	}
	end := start.Add(t.Duration)
	if t.Duration == 0 {
		end = start.AddDate(100, 0, 0) // live until stopped
	}
	if !t.Live && end.After(now.Add(23*time.Hour)) {
		return time.Time{}, time.Time{}, &FieldError{Path: "time", Problem: fmt.Sprintf("the simulation would end at %s, more than a day after now; sources reject event times over 24h ahead: start earlier or run live",
			end.Format(time.RFC3339))}
	}
	return start, end, nil
}

// mondayBefore returns the latest Monday 00:00 UTC at or before t.
func mondayBefore(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(d.Weekday()) + 6) % 7 // days since Monday
	return d.AddDate(0, 0, -back)
}

// Start returns the simulated time the simulation starts at.
func (s *Simulator) Start() time.Time { return s.start }

// End returns the simulated time the simulation ends at.
func (s *Simulator) End() time.Time { return s.end }

// Config returns the simulator's configuration.
func (s *Simulator) Config() Config { return s.cfg }

// SourcesConfig returns the ingest sources configuration under which the
// identity ids of the records are the ones the simulator labels: the Okta
// org, the Entra tenant of audit records, the Google Cloud organization,
// the gateway's name and the OpenAI and Anthropic organizations. Run the
// ingest stage with it (ingest.sources).
func (s *Simulator) SourcesConfig() sources.Config {
	t := s.cfg.Tenants
	return sources.Config{
		OktaOrg:      t.OktaOrg,
		EntraTenant:  t.EntraTenants[0].ID,
		GCPOrg:       t.GCPOrg,
		AIGateway:    t.AIGateway,
		OpenAIOrg:    t.OpenAIOrg,
		AnthropicOrg: t.AnthropicOrg,
	}
}

// Stream ids of the actors' random sources.
const (
	streamPerson    = 1 << 32
	streamAgent     = 2 << 32
	streamService   = 3 << 32
	streamScheduler = 4 << 32
	streamInstance  = 5 << 32
)

// newRun builds the engine of one run: a fresh population (its actors
// keep state) and every actor, from the seed alone.
func (s *Simulator) newRun() (*engine, error) {
	pop, err := buildPopulation(&s.cfg)
	if err != nil {
		return nil, err
	}
	g := newEngine(&s.cfg, pop, s.start, s.end)
	activity := s.cfg.Population.Activity
	for i, p := range pop.people {
		a := &actor{rng: newRNG(s.cfg.Seed, streamPerson+uint64(i)), rate: personRates[p.role] * activity, rh: &p.rhythm, impl: newPersonActivity(pop, p)}
		g.add(a, a.nextTick(s.start, s.end))
	}
	for i, ag := range pop.agents {
		a := &actor{rng: newRNG(s.cfg.Seed, streamAgent+uint64(i)), rate: ag.rate * activity, rh: &ag.rhythm, impl: &agentActivity{a: ag}}
		g.add(a, a.nextTick(s.start, s.end))
	}
	for i, sv := range pop.services {
		a := &actor{rng: newRNG(s.cfg.Seed, streamService+uint64(i)), rate: sv.rate * activity, rh: &sv.rhythm, impl: &serviceActivity{s: sv}}
		g.add(a, a.nextTick(s.start, s.end))
	}
	for i, sc := range s.cfg.Scenarios {
		list, _ := pop.candidates(sc.Kind)
		if _, ok := g.targets[sc.Kind]; !ok {
			// Targets are taken in a shuffled order, the same every run.
			r := newRNG(s.cfg.Seed, streamScheduler+1<<20+uint64(i))
			r.Shuffle(len(list), func(x, y int) { list[x], list[y] = list[y], list[x] })
			g.targets[sc.Kind] = list
		}
		first := s.start.Add(sc.At)
		if first.Before(s.end) {
			g.add(&actor{rng: newRNG(s.cfg.Seed, streamScheduler+uint64(i)), impl: &scheduler{entry: sc}}, first)
		}
	}
	g.init()
	return g, nil
}

// Run makes the records of the simulation and writes them to sink, paced
// as Config.Time says, until the simulated end, Config.Time.Count records,
// or ctx ends. It returns the totals; the error is ctx's when it ended
// (after writing what was made so far), else the sink's or the label
// writer's.
func (s *Simulator) Run(ctx context.Context, sink Sink) (Stats, error) {
	g, err := s.newRun()
	if err != nil {
		return Stats{}, err
	}
	wallStart := s.opts.now()
	r := &runState{s: s, g: g, sink: sink, stats: Stats{ByProduct: map[schemas.Product]int64{}}, wallStart: wallStart}
	if s.opts.labels != nil {
		r.labels = &labelWriter{w: s.opts.labels}
	}
	err = r.loop(ctx, wallStart)
	// The records made so far go out even when ctx ended: they are few (a
	// batch at most), and their labels say what went out.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
	ferr := r.flush(fctx)
	cancel()
	if err == nil {
		err = ferr
	}
	if err == nil || ctx.Err() != nil {
		// Instances cut short are labelled too, as incomplete.
		if lerr := r.labelIncomplete(); err == nil {
			err = lerr
		}
	}
	r.stats.Elapsed = s.opts.now().Sub(wallStart)
	return r.stats, err
}

// runState is one run in progress.
type runState struct {
	s         *Simulator
	wallStart time.Time
	g         *engine
	sink      Sink
	labels    *labelWriter
	batch     []Record
	done      []*instance // instances whose last record is in the batch
	stats     Stats
	pending   map[*instance]bool
}

// finalFlushTimeout bounds the write of the last batch of a run whose
// context ended.
const finalFlushTimeout = 10 * time.Second

// slack is how far ahead of its due time a record may go out, so that a
// high rate is paced in small bursts rather than one sleep per record.
const slack = 2 * time.Millisecond

func (r *runState) loop(ctx context.Context, wallStart time.Time) error {
	cfg := r.s.cfg.Time
	batchSize := max(r.s.cfg.Output.BatchSize, 1)
	var sent int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if cfg.Count > 0 && sent >= cfg.Count {
			return nil
		}
		rec, ok := r.g.next()
		if r.g.err != nil {
			return r.g.err
		}
		if !ok {
			return nil
		}
		due := wallStart
		if cfg.Rate > 0 {
			due = wallStart.Add(time.Duration(float64(sent) / cfg.Rate * float64(time.Second)))
		}
		if cfg.Speedup > 0 {
			if d := wallStart.Add(time.Duration(float64(rec.At.Sub(r.s.start)) / cfg.Speedup)); d.After(due) {
				due = d
			}
		}
		if cfg.Live && rec.At.After(due) {
			due = rec.At
		}
		if wait := due.Sub(r.s.opts.now()); wait > slack {
			if err := r.flush(ctx); err != nil {
				return err
			}
			if wait = due.Sub(r.s.opts.now()); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				case <-t.C:
				}
			}
		}
		r.add(rec)
		sent++
		if len(r.batch) >= batchSize {
			if err := r.flush(ctx); err != nil {
				return err
			}
		}
	}
}

// add puts rec in the batch and tracks its instance.
func (r *runState) add(rec Record) {
	r.batch = append(r.batch, rec)
	if rec.Instance == "" {
		return
	}
	inst := r.g.instance(rec.Instance)
	if inst == nil {
		return
	}
	if !inst.started {
		inst.started = true
		inst.label.Start = rec.Time
		inst.label.End = rec.Time
		if r.pending == nil {
			r.pending = map[*instance]bool{}
		}
		r.pending[inst] = true
	}
	if rec.Time.Before(inst.label.Start) {
		inst.label.Start = rec.Time
	}
	if rec.Time.After(inst.label.End) {
		inst.label.End = rec.Time
	}
	inst.label.Events = append(inst.label.Events, LabelEvent{Product: rec.Product, SourceEventID: rec.SourceEventID, EventID: rec.EventID, Time: rec.Time})
	inst.emitted++
	if inst.emitted == inst.total {
		r.done = append(r.done, inst)
	}
}

// flush writes the batch to the sink, then the labels it completed.
func (r *runState) flush(ctx context.Context) error {
	if len(r.batch) == 0 {
		return nil
	}
	if err := r.sink.Write(ctx, r.batch); err != nil {
		return fmt.Errorf("simulate: write %d records: %w", len(r.batch), err)
	}
	for _, rec := range r.batch {
		r.stats.Records++
		r.stats.ByProduct[rec.Product]++
		if rec.Instance != "" {
			r.stats.Injected++
		}
		r.stats.SimTime = rec.At
	}
	clear(r.batch)
	r.batch = r.batch[:0]
	for _, inst := range r.done {
		inst.finished = true
		inst.label.Complete = true
		delete(r.pending, inst)
		if err := r.writeLabel(inst); err != nil {
			return err
		}
	}
	r.done = r.done[:0]
	if r.s.opts.progress != nil {
		r.stats.Elapsed = r.s.opts.now().Sub(r.wallStart)
		r.s.opts.progress(r.stats.clone())
	}
	return nil
}

// labelIncomplete labels the instances that started but did not finish,
// in the order they started.
func (r *runState) labelIncomplete() error {
	list := slices.Collect(maps.Keys(r.pending))
	slices.SortFunc(list, func(a, b *instance) int { return a.label.Start.Compare(b.label.Start) })
	for _, inst := range list {
		// Only records the sink accepted count.
		inst.label.Events = slices.DeleteFunc(inst.label.Events, func(e LabelEvent) bool {
			return slices.ContainsFunc(r.batch, func(rec Record) bool { return rec.EventID == e.EventID })
		})
		if len(inst.label.Events) == 0 {
			continue
		}
		if err := r.writeLabel(inst); err != nil {
			return err
		}
	}
	r.pending = nil
	return nil
}

func (r *runState) writeLabel(inst *instance) error {
	r.stats.Labels++
	if r.labels == nil {
		return nil
	}
	return r.labels.write(&inst.label)
}

func (s Stats) clone() Stats {
	s.ByProduct = maps.Clone(s.ByProduct)
	return s
}

// instance returns the scenario instance named name.
func (g *engine) instance(name string) *instance {
	if g.byName == nil {
		g.byName = map[string]*instance{}
	}
	if inst, ok := g.byName[name]; ok {
		return inst
	}
	for _, inst := range g.instances {
		if inst.name == name {
			g.byName[name] = inst
			return inst
		}
	}
	return nil
}
