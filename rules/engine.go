package rules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/aitdr/aitdr/schemas"
)

// Limits bound the state the engine keeps.
type Limits struct {
	// MaxKeysPerRule bounds the keys (groups) a stateful rule keeps per
	// kind of state; past it the least recently used key is evicted and
	// counted (aitdr.rules.state.evictions). Default 100000.
	MaxKeysPerRule int
	// MaxEventsPerKey bounds the events a threshold window or a sequence
	// step keeps per key, and the terms a new_terms group keeps; past it
	// the oldest is dropped and counted. Default 1000.
	MaxEventsPerKey int
	// RecentEvents is how many event ids the engine remembers per input
	// partition, the latest evaluated, to recognize a copy produced again
	// upstream after a crash (see recent.go); rounded up to a multiple of
	// 128. Default 65536: 512 KiB of hashes and a 1 MiB index per
	// partition, filled as events come.
	//
	// Why that is enough: a copy comes from a stage that died before
	// committing the original's input, so the original is at most that
	// stage's uncommitted window before it, and no stage's window is
	// larger than what its stream Runner bounds: the batch in hand
	// (MaxPollRecords, 5,000), the outputs not yet acknowledged
	// (MaxInFlightRecords, 20,000) and what it processed since its last
	// commit (CommitInterval, 1s). Three stages before the rules, each
	// replaying its window once, put an original and its copy at most a
	// few tens of thousands of records apart on one partition at the
	// default limits and tens of thousands of records a second. Raise it
	// with those limits or the rate per partition.
	RecentEvents int
}

// DefaultLimits are the limits when none are given.
var DefaultLimits = Limits{MaxKeysPerRule: 100_000, MaxEventsPerKey: 1000, RecentEvents: 1 << 16}

func (l Limits) withDefaults() Limits {
	if l.MaxKeysPerRule <= 0 {
		l.MaxKeysPerRule = DefaultLimits.MaxKeysPerRule
	}
	if l.MaxEventsPerKey <= 0 {
		l.MaxEventsPerKey = DefaultLimits.MaxEventsPerKey
	}
	if l.RecentEvents <= 0 {
		l.RecentEvents = DefaultLimits.RecentEvents
	}
	return l
}

// maxEvidence bounds the evidence events an alert lists; Count still
// counts them all.
const maxEvidence = 50

// maxSumEvents bounds the events a sum window keeps per key: past it the
// two oldest merge into one (their values added), so a long window of
// small transfers costs a bounded state.
const maxSumEvents = 64

// maxStepEvents bounds the events a sequence keeps per step and key: the
// latest ones, which are those a chain uses (the tightest chain takes the
// latest event of each earlier step).
const maxStepEvents = 16

// sweepEvery is the fewest events between two sweeps of expired state.
const sweepEvery = 1 << 14

// Position is where an event was read: its input partition and offset.
// State lives on the partition; an event at or below the offset a key's
// state already folded is a replay and is skipped. Offset -1 means
// unknown (no replay detection).
type Position struct {
	Partition int32
	Offset    int64
}

// Option sets an optional dependency of an Engine.
type Option func(*Engine)

// WithLogger sets the logger. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// WithClock sets the clock of alert creation times. Default time.Now.
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// WithMeterProvider sets where the engine's metrics go. Default
// otel.GetMeterProvider() at the time NewEngine is called.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(e *Engine) { e.mp = mp } }

// WithLimits sets the state bounds. Default DefaultLimits.
func WithLimits(l Limits) Option { return func(e *Engine) { e.limits = l.withDefaults() } }

// Engine evaluates events against a rule set and keeps the state of its
// stateful rules. Swap replaces the set while it runs: the state of rules
// whose definition did not change is kept.
//
// Process, Checkpoint, Restore and DropPartitions must be called from one
// goroutine (the stage's); Swap and Set are safe for concurrent use.
type Engine struct {
	set    atomic.Pointer[Set]
	cur    *Set
	states map[string]*ruleState

	limits Limits
	log    *slog.Logger
	now    func() time.Time
	mp     metric.MeterProvider
	ins    *instruments
	attrs  map[string]metric.MeasurementOption

	vm         vm.VM
	cands      []int32
	counter    uint64
	processed  uint64
	swept      uint64
	watermarks map[int32]int64
	// recent are the ids evaluated lately, per input partition.
	recent map[int32]*recentIDs
	// tombstones are state keys found on the changelog that belong to no
	// rule of the set; the next Checkpoint deletes them.
	tombstones []StateEntry
	// graveyard are the cleared tables of rules that left the set or
	// changed, until their tombstones are checkpointed.
	graveyard []*table
	// stateKeys is the number of state keys at the last Checkpoint, for
	// the gauge.
	stateKeys atomic.Int64
	// onError, when set, sees every evaluation error (the test runner
	// fails a test on one).
	onError func(r *Rule, err error, ev *schemas.Event)
}

// ruleState is the state tables of one rule.
type ruleState struct {
	rule *Rule
	main *table // window, sequence or terms
	sup  *table
}

// NewEngine returns an engine evaluating set.
func NewEngine(set *Set, opts ...Option) *Engine {
	e := &Engine{
		states:     map[string]*ruleState{},
		limits:     DefaultLimits,
		watermarks: map[int32]int64{},
		recent:     map[int32]*recentIDs{},
		attrs:      map[string]metric.MeasurementOption{},
	}
	for _, o := range opts {
		o(e)
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.mp == nil {
		e.mp = otel.GetMeterProvider()
	}
	e.ins = newInstruments(e.mp.Meter("github.com/aitdr/aitdr/rules"), e)
	if set == nil {
		set = emptySet()
	}
	e.set.Store(set)
	e.reconcile(set)
	return e
}

// Set returns the rule set in use.
func (e *Engine) Set() *Set { return e.set.Load() }

// Swap makes set the rule set of the next events. Safe for concurrent use
// with Process: the processing goroutine moves to it between two events,
// keeping the state of the rules whose definition is unchanged.
func (e *Engine) Swap(set *Set) {
	if set != nil {
		e.set.Store(set)
	}
}

// reconcile moves the state to set: the tables of rules that left the set
// or whose state digest changed are cleared (their keys deleted from the
// changelog at the next Checkpoint), the others kept.
func (e *Engine) reconcile(set *Set) {
	for id, rs := range e.states {
		r := set.byID[id]
		if r == nil || !r.Enabled {
			e.bury(rs.main)
			e.bury(rs.sup)
			delete(e.states, id)
			continue
		}
		if rs.main != nil && (rs.main.kind != mainKind(r.Type) || rs.main.digest != r.stateDigest) {
			e.bury(rs.main)
			rs.main = nil
		}
		if rs.sup != nil && (r.suppress == nil || rs.sup.digest != r.suppressDigest) {
			e.bury(rs.sup)
			rs.sup = nil
		}
		rs.rule = r
	}
	e.cur = set
}

// bury clears t and keeps it until its tombstones are checkpointed.
func (e *Engine) bury(t *table) {
	if t == nil {
		return
	}
	t.clearAll()
	e.graveyard = append(e.graveyard, t)
}

// stateOf returns the state of rule r, creating it.
func (e *Engine) stateOf(r *Rule) *ruleState {
	rs := e.states[r.ID]
	if rs == nil {
		rs = &ruleState{rule: r}
		e.states[r.ID] = rs
	}
	return rs
}

func mainKind(t Type) stateKind {
	switch t {
	case TypeThreshold:
		return kindWindow
	case TypeSequence:
		return kindSequence
	case TypeNewTerms:
		return kindTerms
	}
	return 0
}

func (e *Engine) mainTable(r *Rule) *table {
	rs := e.stateOf(r)
	if rs.main == nil {
		rs.main = newTable(r.ID, mainKind(r.Type), r.stateDigest, e.limits.MaxKeysPerRule)
	}
	return rs.main
}

func (e *Engine) supTable(r *Rule) *table {
	rs := e.stateOf(r)
	if rs.sup == nil {
		rs.sup = newTable(r.ID, kindSuppress, r.suppressDigest, e.limits.MaxKeysPerRule)
	}
	return rs.sup
}

// Process evaluates ev, read at pos, against the set and appends the
// alerts it raises to dst. An expression that fails on ev is counted and
// logged once per rule; the event goes on to the other rules. An event
// whose id the engine evaluated lately on the same partition is delivered
// again (a copy from upstream, or a record read again after a restart): it
// is counted (aitdr.rules.copies) and not evaluated again.
func (e *Engine) Process(ev *schemas.Event, pos Position, dst []*Alert) []*Alert {
	set := e.set.Load()
	if set != e.cur {
		e.reconcile(set)
	}
	if ev.ID != "" && !e.recentOf(pos.Partition).add(eventHash(ev.ID)) {
		e.ins.copies.Add(context.Background(), 1)
		return dst
	}
	if t := ev.Time.UnixNano(); t > e.watermarks[pos.Partition] {
		e.watermarks[pos.Partition] = t
	}
	e.cands = set.index.candidates(ev, e.cands[:0])
	for _, i := range e.cands {
		r := set.rules[i]
		if !r.matchesFilters(ev) {
			continue
		}
		switch r.Type {
		case TypeMatch:
			dst = e.match(r, ev, pos, dst)
		case TypeAnomaly:
			if r.anomaly.requireBaseline && (!ev.Features.Available || ev.Features.Learning) {
				continue
			}
			dst = e.match(r, ev, pos, dst)
		case TypeThreshold:
			dst = e.threshold(r, ev, pos, dst)
		case TypeSequence:
			dst = e.sequence(r, ev, pos, dst)
		case TypeNewTerms:
			dst = e.newTerms(r, ev, pos, dst)
		}
	}
	e.processed++
	// A sweep visits every key: run it once per as many events as there
	// are keys (at least sweepEvery), so that it costs about one key per
	// event whatever the state's size.
	if e.processed-e.swept >= uint64(max(sweepEvery, e.stateKeys.Load())) {
		e.swept = e.processed
		e.sweep()
		e.stateKeys.Store(int64(e.StateKeys()))
	}
	return dst
}

// eval runs a boolean program; an error counts and reads as false.
func (e *Engine) eval(r *Rule, p *vm.Program, ev *schemas.Event) bool {
	if p == nil {
		return true
	}
	out, err := e.vm.Run(p, ev)
	if err != nil {
		e.evalError(r, err, ev)
		return false
	}
	b, _ := out.(bool)
	return b
}

// value runs a program for its value; an error counts and reads as nil.
func (e *Engine) value(r *Rule, p *vm.Program, ev *schemas.Event) (any, bool) {
	out, err := e.vm.Run(p, ev)
	if err != nil {
		e.evalError(r, err, ev)
		return nil, false
	}
	return out, true
}

func (e *Engine) evalError(r *Rule, err error, ev *schemas.Event) {
	var fe *file.Error
	if errors.As(err, &fe) {
		// One line: the message and where in the expression, no snippet.
		err = fmt.Errorf("%s (column %d)", fe.Message, fe.Column+1)
	}
	e.ins.errors.Add(context.Background(), 1, e.ruleAttrs(r))
	if e.onError != nil {
		e.onError(r, err, ev)
	}
	if r.errLogged.CompareAndSwap(false, true) {
		e.log.Warn("rule expression failed on an event; the rule skips such events (logged once per rule, counted in aitdr.rules.errors)",
			"rule", r.ID, "at", r.Pos.String(), "event", ev.ID, "err", err)
	}
}

// keyString evaluates key expressions into one key: their values joined by
// the unit separator. ok is false when one failed.
func (e *Engine) keyString(r *Rule, keys []keyExpr, ev *schemas.Event) (string, bool) {
	if len(keys) == 1 {
		return e.keyValue(r, keys[0], ev)
	}
	var b strings.Builder
	for i, k := range keys {
		v, ok := e.keyValue(r, k, ev)
		if !ok {
			return "", false
		}
		if i > 0 {
			b.WriteByte(0x1f)
		}
		b.WriteString(v)
	}
	return b.String(), true
}

func (e *Engine) keyValue(r *Rule, k keyExpr, ev *schemas.Event) (string, bool) {
	if k.identityID {
		return ev.Identity.ID, true
	}
	if k.prog == nil {
		return "", false
	}
	v, ok := e.value(r, k.prog, ev)
	return formatValue(v), ok
}

// formatValue turns an expression value into key or template text.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return enumString(v)
}

// excepted reports whether an unexpired exception of r allows ev.
func (e *Engine) excepted(r *Rule, ev *schemas.Event) bool {
outer:
	for _, ex := range r.exceptions {
		if !ex.until.IsZero() && !ev.Time.Before(ex.until) {
			continue
		}
		for _, f := range ex.fields {
			var v string
			if f.prog == nil {
				v = ev.Identity.ID
			} else {
				out, ok := e.value(r, f.prog, ev)
				if !ok {
					continue outer
				}
				v = formatValue(out)
			}
			if !slices.ContainsFunc(f.values, func(m valueMatcher) bool { return m.match(v) }) {
				continue outer
			}
		}
		e.ins.exceptions.Add(context.Background(), 1, metric.WithAttributes(
			attribute.String("rule", r.ID), attribute.String("exception", ex.name)))
		return true
	}
	return false
}

// recentOf returns the ids evaluated lately on partition, creating them.
func (e *Engine) recentOf(partition int32) *recentIDs {
	r := e.recent[partition]
	if r == nil {
		r = newRecentIDs(e.limits.RecentEvents)
		e.recent[partition] = r
	}
	return r
}

// replayed reports whether the event at pos was already folded into en.
func replayed(en *entry, pos Position) bool {
	return pos.Offset >= 0 && en.lastOffset >= pos.Offset
}

func (e *Engine) seqOf(pos Position) uint64 {
	if pos.Offset >= 0 {
		return uint64(pos.Offset)
	}
	e.counter++
	return e.counter
}

func (e *Engine) match(r *Rule, ev *schemas.Event, pos Position, dst []*Alert) []*Alert {
	if !e.eval(r, r.cond, ev) || e.excepted(r, ev) {
		return dst
	}
	ref := []evidenceRef{{id: ev.ID, t: ev.Time.UnixNano(), action: ev.Action.Name}}
	return e.fire(r, ev, pos, ref, ev.Identity.ID, 1, dst)
}

// evidenceRef is an evidence event as state keeps it.
type evidenceRef struct {
	id     string
	t      int64
	action string
}

func (e *Engine) threshold(r *Rule, ev *schemas.Event, pos Position, dst []*Alert) []*Alert {
	th := r.threshold
	if !e.eval(r, r.cond, ev) || e.excepted(r, ev) {
		return dst
	}
	group, ok := e.keyString(r, th.groupBy, ev)
	if !ok {
		return dst
	}
	var value float64
	var term string
	switch th.function {
	case "sum":
		v, ok := e.value(r, th.field, ev)
		if !ok {
			return dst
		}
		value, _ = v.(float64)
	case "distinct_count":
		v, ok := e.value(r, th.field, ev)
		if !ok {
			return dst
		}
		term = formatValue(v)
	}
	tbl := e.mainTable(r)
	k := skey{pos.Partition, group}
	en := tbl.get(k)
	if en == nil {
		en = tbl.add(k, e.evicted(r, kindWindow))
		en.win = &windowState{}
	} else if replayed(en, pos) {
		return dst
	}
	t := ev.Time.UnixNano()
	w := int64(th.window)
	we := windowEvent{t: t, seq: e.seqOf(pos), id: ev.ID, action: ev.Action.Name, value: value, term: term}
	events := en.win.events
	// A copy of an event the window holds (redelivered upstream after a
	// crash, at a new offset) is the same event: it counts once. Process
	// skips the copies of the events it remembers; this also covers a
	// copy of an older one still in the window.
	if ev.ID != "" && slices.ContainsFunc(events, func(x windowEvent) bool { return x.id == ev.ID }) {
		en.lastOffset = pos.Offset
		tbl.touch(en)
		return dst
	}
	if th.function == "distinct_count" {
		// One event per distinct value, the latest: the count is of values.
		if i := slices.IndexFunc(events, func(x windowEvent) bool { return x.term == term }); i >= 0 {
			if events[i].t > t {
				en.lastOffset = pos.Offset
				tbl.touch(en)
				return dst
			}
			events = slices.Delete(events, i, i+1)
		}
	}
	at, _ := slices.BinarySearchFunc(events, we, func(a, b windowEvent) int { return cmpTimeSeq(a.t, a.seq, b.t, b.seq) })
	events = slices.Insert(events, at, we)
	if th.function == "sum" && len(events) > maxSumEvents {
		// Past maxSumEvents, the two oldest merge: their values add up
		// under the later one's time and id.
		events[1].value += events[0].value
		events = slices.Delete(events, 0, 1)
		at = max(at-1, 0)
	}
	// Keep what a window holding a late event may still need: one window
	// before the newest event and one before that for late arrivals.
	newest := max(en.seen, t)
	drop := 0
	for drop < len(events) && events[drop].t < newest-2*w {
		drop++
	}
	if over := len(events) - drop - e.limits.MaxEventsPerKey; over > 0 {
		drop += over
		e.ins.evictions.Add(context.Background(), int64(over), e.kindAttrs(r, "window_events"))
	}
	if drop > 0 {
		at -= drop
		events = slices.Delete(events, 0, drop)
	}
	en.win.events = events
	en.lastOffset, en.seen = pos.Offset, newest
	tbl.touch(en)
	if at < 0 {
		return dst // the event itself fell out: too late for any window kept
	}
	i, j, ok := bestWindow(events, at, w, th)
	if !ok {
		return dst
	}
	refs := make([]evidenceRef, 0, j-i+1)
	for _, x := range events[i : j+1] {
		refs = append(refs, evidenceRef{id: x.id, t: x.t, action: x.action})
	}
	en.win.events = slices.Delete(events, i, j+1)
	return e.fire(r, ev, pos, refs, group, j-i+1, dst)
}

func cmpTimeSeq(at int64, aseq uint64, bt int64, bseq uint64) int {
	switch {
	case at < bt:
		return -1
	case at > bt:
		return 1
	case aseq < bseq:
		return -1
	case aseq > bseq:
		return 1
	}
	return 0
}

// bestWindow finds an interval events[i..j] spanning at most w that holds
// the event at index at and whose aggregate reaches the threshold. Events
// in order make it the trailing window; a late event is tried in every
// window that can hold it.
func bestWindow(events []windowEvent, at int, w int64, th *thresholdBody) (int, int, bool) {
	t := events[at].t
	first := at
	for first > 0 && events[first-1].t >= t-w {
		first--
	}
	end := at
	for i := first; i <= at; i++ {
		for end+1 < len(events) && events[end+1].t <= events[i].t+w {
			end++
		}
		if aggregate(events[i:end+1], th.function) >= th.gte {
			return i, end, true
		}
	}
	return 0, 0, false
}

func aggregate(events []windowEvent, function string) float64 {
	switch function {
	case "sum":
		var s float64
		for _, x := range events {
			s += x.value
		}
		return s
	case "distinct_count":
		seen := make(map[string]struct{}, len(events))
		for _, x := range events {
			seen[x.term] = struct{}{}
		}
		return float64(len(seen))
	}
	return float64(len(events))
}

func (e *Engine) sequence(r *Rule, ev *schemas.Event, pos Position, dst []*Alert) []*Alert {
	sq := r.sequence
	if !e.eval(r, r.cond, ev) || e.excepted(r, ev) {
		return dst
	}
	var matched uint32
	for k := range sq.steps {
		if st := &sq.steps[k]; st.admits(ev) && e.eval(r, st.cond, ev) {
			matched |= 1 << k
		}
	}
	if matched == 0 {
		return dst
	}
	group, ok := e.keyString(r, sq.groupBy, ev)
	if !ok {
		return dst
	}
	tbl := e.mainTable(r)
	k := skey{pos.Partition, group}
	en := tbl.get(k)
	if en == nil {
		en = tbl.add(k, e.evicted(r, kindSequence))
		en.seq = &seqState{steps: make([][]seqEvent, len(sq.steps))}
	} else if replayed(en, pos) {
		return dst
	}
	t := ev.Time.UnixNano()
	w := int64(sq.window)
	newest := max(en.seen, t)
	se := seqEvent{t: t, seq: e.seqOf(pos), id: ev.ID, action: ev.Action.Name}
	for s := range sq.steps {
		list := en.seq.steps[s]
		if matched&(1<<s) != 0 {
			at, _ := slices.BinarySearchFunc(list, se, func(a, b seqEvent) int { return cmpTimeSeq(a.t, a.seq, b.t, b.seq) })
			list = slices.Insert(list, at, se)
		}
		drop := 0
		for drop < len(list) && list[drop].t < newest-2*w {
			drop++
		}
		if over := len(list) - drop - min(e.limits.MaxEventsPerKey, maxStepEvents); over > 0 {
			drop += over
		}
		en.seq.steps[s] = slices.Delete(list, 0, drop)
	}
	en.lastOffset, en.seen = pos.Offset, newest
	tbl.touch(en)
	for q, s := range sq.positive {
		if matched&(1<<s) == 0 {
			continue
		}
		var chain []chainPick
		if sq.ordered {
			chain = orderedChain(sq, en.seq, q, se, w)
		} else {
			chain = unorderedChain(sq, en.seq, s, se, w)
		}
		if chain == nil {
			continue
		}
		refs := make([]evidenceRef, 0, len(chain))
		for _, c := range chain {
			x := en.seq.steps[c.step][c.index]
			refs = append(refs, evidenceRef{id: x.id, t: x.t, action: x.action})
		}
		slices.SortFunc(refs, func(a, b evidenceRef) int { return cmpTimeSeq(a.t, 0, b.t, 0) })
		// Consume the chain's events, highest index first per step.
		slices.SortFunc(chain, func(a, b chainPick) int {
			if a.step != b.step {
				return a.step - b.step
			}
			return b.index - a.index
		})
		for _, c := range chain {
			en.seq.steps[c.step] = slices.Delete(en.seq.steps[c.step], c.index, c.index+1)
		}
		return e.fire(r, ev, pos, refs, group, len(refs), dst)
	}
	return dst
}

// chainPick is one step's event of a completed sequence.
type chainPick struct {
	step, index int
}

// orderedChain looks for steps in order holding the new event se at the
// q-th positive step: the latest event of each earlier step before the
// next, the earliest of each later step after the previous (the tightest
// chain), within the window and with no absent step's event between the
// steps around it.
func orderedChain(sq *sequenceBody, st *seqState, q int, se seqEvent, w int64) []chainPick {
	pos := sq.positive
	chain := make([]chainPick, len(pos))
	find := func(step int, ev seqEvent) int {
		for i, x := range st.steps[step] {
			if x.t == ev.t && x.seq == ev.seq {
				return i
			}
		}
		return -1
	}
	self := find(pos[q], se)
	if self < 0 {
		return nil
	}
	chain[q] = chainPick{pos[q], self}
	prev := se
	for r := q + 1; r < len(pos); r++ {
		list := st.steps[pos[r]]
		i := slices.IndexFunc(list, func(x seqEvent) bool { return cmpTimeSeq(x.t, x.seq, prev.t, prev.seq) > 0 })
		if i < 0 {
			return nil
		}
		chain[r] = chainPick{pos[r], i}
		prev = list[i]
	}
	next := se
	for r := q - 1; r >= 0; r-- {
		list := st.steps[pos[r]]
		i := -1
		for j := len(list) - 1; j >= 0; j-- {
			if cmpTimeSeq(list[j].t, list[j].seq, next.t, next.seq) < 0 {
				i = j
				break
			}
		}
		if i < 0 {
			return nil
		}
		chain[r] = chainPick{pos[r], i}
		next = list[i]
	}
	at := func(c chainPick) seqEvent { return st.steps[c.step][c.index] }
	if at(chain[len(chain)-1]).t-at(chain[0]).t > w {
		return nil
	}
	for r := 0; r+1 < len(chain); r++ {
		from, to := at(chain[r]), at(chain[r+1])
		for s := pos[r] + 1; s < pos[r+1]; s++ {
			for _, x := range st.steps[s] {
				if cmpTimeSeq(x.t, x.seq, from.t, from.seq) > 0 && cmpTimeSeq(x.t, x.seq, to.t, to.seq) < 0 {
					return nil
				}
			}
		}
	}
	return chain
}

// unorderedChain looks for one event of every step, distinct events, all
// within one window holding the new event se of step s.
func unorderedChain(sq *sequenceBody, st *seqState, s int, se seqEvent, w int64) []chainPick {
	var starts []int64
	for _, p := range sq.positive {
		for _, x := range st.steps[p] {
			if x.t >= se.t-w && x.t <= se.t {
				starts = append(starts, x.t)
			}
		}
	}
	slices.Sort(starts)
	starts = slices.Compact(starts)
	for _, from := range starts {
		to := from + w
		used := map[uint64]bool{se.seq: true}
		chain := make([]chainPick, 0, len(sq.positive))
		ok := true
		for _, p := range sq.positive {
			if p == s {
				i := slices.IndexFunc(st.steps[p], func(x seqEvent) bool { return x.t == se.t && x.seq == se.seq })
				if i < 0 {
					return nil
				}
				chain = append(chain, chainPick{p, i})
				continue
			}
			i := slices.IndexFunc(st.steps[p], func(x seqEvent) bool { return x.t >= from && x.t <= to && !used[x.seq] })
			if i < 0 {
				ok = false
				break
			}
			used[st.steps[p][i].seq] = true
			chain = append(chain, chainPick{p, i})
		}
		if ok {
			return chain
		}
	}
	return nil
}

func (e *Engine) newTerms(r *Rule, ev *schemas.Event, pos Position, dst []*Alert) []*Alert {
	nt := r.newTerms
	if !e.eval(r, r.cond, ev) || e.excepted(r, ev) {
		return dst
	}
	term, ok := e.keyString(r, nt.fields, ev)
	if !ok || strings.Trim(term, "\x1f") == "" {
		return dst // no value: nothing to call new
	}
	group, ok := e.keyString(r, nt.groupBy, ev)
	if !ok {
		return dst
	}
	tbl := e.mainTable(r)
	k := skey{pos.Partition, group}
	en := tbl.get(k)
	if en == nil {
		en = tbl.add(k, e.evicted(r, kindTerms))
		en.terms = &termsState{last: map[string]int64{}}
	} else if replayed(en, pos) {
		return dst
	}
	t := ev.Time.UnixNano()
	h := int64(nt.history)
	last, known := en.terms.last[term]
	var isNew bool
	if nt.baseline != nil && ev.Features.Available && !ev.Features.Learning {
		isNew = nt.baseline(&ev.Features)
	} else {
		isNew = len(en.terms.last) > 0 && (!known || t-last > h)
	}
	if known && !isNew && t-last < termsGranularity(h) {
		// A known term seen again within the granularity: its last-seen
		// time is close enough, and leaving the state as it is saves a
		// changelog write per event.
		return dst
	}
	en.terms.last[term] = max(last, t)
	newest := max(en.seen, t)
	for old, seen := range en.terms.last {
		if seen < newest-h {
			delete(en.terms.last, old)
		}
	}
	if over := len(en.terms.last) - e.limits.MaxEventsPerKey; over > 0 {
		e.ins.evictions.Add(context.Background(), int64(over), e.kindAttrs(r, "terms"))
		for range over {
			oldest, oldestT := "", int64(math.MaxInt64)
			for tm, seen := range en.terms.last {
				if seen < oldestT {
					oldest, oldestT = tm, seen
				}
			}
			delete(en.terms.last, oldest)
		}
	}
	en.lastOffset, en.seen = pos.Offset, newest
	tbl.touch(en)
	if !isNew {
		return dst
	}
	ref := []evidenceRef{{id: ev.ID, t: t, action: ev.Action.Name}}
	return e.fire(r, ev, pos, ref, group+"|"+strings.ReplaceAll(term, "\x1f", "|"), 1, dst)
}

// termsGranularity is how far a known term's last-seen time may lag: a
// sixty-fourth of the history, at least a minute.
func termsGranularity(history int64) int64 { return max(history/64, int64(time.Minute)) }

// fire raises an alert of r on ev with evidence refs (oldest first) for
// the key key, unless suppression holds it back (then it is counted on the
// key's next alert). count is the number of events that made the alert.
func (e *Engine) fire(r *Rule, ev *schemas.Event, pos Position, refs []evidenceRef, key string, count int, dst []*Alert) []*Alert {
	dedup := strings.ReplaceAll(key, "\x1f", "|")
	var suppressed int64
	if r.suppress != nil {
		sk, ok := e.keyString(r, r.suppress.keys, ev)
		if !ok {
			return dst
		}
		dedup = strings.ReplaceAll(sk, "\x1f", "|")
		tbl := e.supTable(r)
		k := skey{pos.Partition, sk}
		en := tbl.get(k)
		t := ev.Time.UnixNano()
		if en == nil {
			en = tbl.add(k, e.evicted(r, kindSuppress))
			en.sup = &supState{lastAlert: math.MinInt64}
		} else if replayed(en, pos) {
			return dst
		}
		en.lastOffset, en.seen = pos.Offset, max(en.seen, t)
		tbl.touch(en)
		if en.sup.lastAlert != math.MinInt64 && t-en.sup.lastAlert < int64(r.suppress.window) {
			en.sup.suppressed++
			e.ins.suppressed.Add(context.Background(), 1, e.ruleAttrs(r))
			return dst
		}
		suppressed, en.sup.suppressed, en.sup.lastAlert = en.sup.suppressed, 0, t
	}
	a := e.buildAlert(r, ev, refs, dedup, suppressed, count)
	e.ins.alerts.Add(context.Background(), 1, metric.WithAttributes(
		attribute.String("rule", r.ID), attribute.String("severity", string(a.Severity))))
	return append(dst, a)
}

// evicted returns the callback counting an eviction of r's state.
func (e *Engine) evicted(r *Rule, kind stateKind) func() {
	return func() { e.ins.evictions.Add(context.Background(), 1, e.kindAttrs(r, kind.String())) }
}

func (e *Engine) ruleAttrs(r *Rule) metric.MeasurementOption {
	a, ok := e.attrs[r.ID]
	if !ok {
		a = metric.WithAttributeSet(attribute.NewSet(attribute.String("rule", r.ID)))
		e.attrs[r.ID] = a
	}
	return a
}

func (e *Engine) kindAttrs(r *Rule, kind string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("rule", r.ID), attribute.String("kind", kind))
}

// horizon is how long an entry of kind k of r stays useful after its
// latest event.
func horizon(r *Rule, k stateKind, en *entry) int64 {
	switch k {
	case kindWindow:
		return 2 * int64(r.threshold.window)
	case kindSequence:
		return 2 * int64(r.sequence.window)
	case kindTerms:
		return int64(r.newTerms.history)
	case kindSuppress:
		if en.sup.suppressed > 0 {
			return math.MaxInt64 // the count waits for the key's next alert
		}
		return int64(r.suppress.window)
	}
	return math.MaxInt64
}

// sweep removes the state whose horizon passed on its partition.
func (e *Engine) sweep() {
	for _, rs := range e.states {
		for _, tbl := range []*table{rs.main, rs.sup} {
			if tbl == nil {
				continue
			}
			for _, en := range tbl.m {
				h := horizon(rs.rule, tbl.kind, en)
				if h == math.MaxInt64 {
					continue
				}
				if wm, ok := e.watermarks[en.key.partition]; ok && en.seen < wm-h {
					tbl.remove(en)
				}
			}
		}
	}
}

// StateEntry is one key's state to write to the changelog: a nil Value is
// a tombstone.
type StateEntry struct {
	Partition int32
	Key       []byte
	Value     []byte
}

// Checkpoint returns the state changed since the last call, to write to
// the changelog, and forgets the changes.
func (e *Engine) Checkpoint() []StateEntry {
	out := e.tombstones
	e.tombstones = nil
	emit := func(tbl *table) {
		if tbl == nil {
			return
		}
		for k := range tbl.dirty {
			se := StateEntry{Partition: k.partition, Key: stateKey(tbl.rule, tbl.kind, k.group)}
			if en := tbl.m[k]; en != nil {
				se.Value = en.encode(tbl.kind, tbl.digest)
			}
			out = append(out, se)
		}
		clear(tbl.dirty)
	}
	for _, tbl := range e.graveyard {
		emit(tbl)
	}
	e.graveyard = nil
	for _, rs := range e.states {
		emit(rs.main)
		emit(rs.sup)
	}
	for partition, r := range e.recent {
		out = r.checkpoint(partition, out)
	}
	e.stateKeys.Store(int64(e.StateKeys()))
	return out
}

// Restore puts back one changelog record of partition: a key's state, or
// its removal when value is nil. State of a rule that is no longer in the
// set, or whose definition changed, is dropped and deleted from the
// changelog at the next Checkpoint. A value that does not decode is an
// error; the caller decides whether to stop.
func (e *Engine) Restore(partition int32, key, value []byte) error {
	if seg, ok, err := recentSegmentOf(key); ok {
		if err != nil || value == nil {
			return err // no tombstones are written for the ring
		}
		return e.recentOf(partition).restore(seg, value)
	}
	ruleID, kind, group, err := parseStateKey(key)
	if err != nil {
		return err
	}
	set := e.set.Load()
	if set != e.cur {
		e.reconcile(set)
	}
	r := set.byID[ruleID]
	k := skey{partition, group}
	if value == nil {
		if rs := e.states[ruleID]; rs != nil {
			for _, tbl := range []*table{rs.main, rs.sup} {
				if tbl != nil && tbl.kind == kind {
					if en := tbl.m[k]; en != nil {
						tbl.unlink(en)
						delete(tbl.m, k)
					}
				}
			}
		}
		return nil
	}
	vkind, digest, en, err := decodeEntry(value)
	if err != nil {
		return err
	}
	stale := func() {
		e.tombstones = append(e.tombstones, StateEntry{Partition: partition, Key: slices.Clone(key)})
	}
	if r == nil || !r.Enabled || vkind != kind {
		stale()
		return nil
	}
	var tbl *table
	switch {
	case kind == kindSuppress && r.suppress != nil && digest == r.suppressDigest:
		tbl = e.supTable(r)
	case kind != kindSuppress && kind == mainKind(r.Type) && digest == r.stateDigest:
		tbl = e.mainTable(r)
	default:
		stale()
		return nil
	}
	if kind == kindSequence && len(en.seq.steps) != len(r.sequence.steps) {
		stale()
		return nil
	}
	if old := tbl.m[k]; old != nil {
		tbl.unlink(old)
		delete(tbl.m, k)
	}
	fresh := tbl.add(k, e.evicted(r, kind))
	fresh.lastOffset, fresh.seen = en.lastOffset, en.seen
	fresh.win, fresh.seq, fresh.terms, fresh.sup = en.win, en.seq, en.terms, en.sup
	if t := en.seen; t > e.watermarks[partition] {
		e.watermarks[partition] = t
	}
	return nil
}

// DropPartitions forgets the state of partitions that left this member;
// nothing is written for them.
func (e *Engine) DropPartitions(partitions []int32) {
	parts := make(map[int32]bool, len(partitions))
	for _, p := range partitions {
		parts[p] = true
		delete(e.watermarks, p)
		delete(e.recent, p)
	}
	for _, rs := range e.states {
		for _, tbl := range []*table{rs.main, rs.sup} {
			if tbl != nil {
				tbl.dropPartitions(parts)
			}
		}
	}
	for _, tbl := range e.graveyard {
		tbl.dropPartitions(parts)
	}
	e.tombstones = slices.DeleteFunc(e.tombstones, func(se StateEntry) bool { return parts[se.Partition] })
}

// StateKeys returns the number of state keys held, for tests and metrics.
func (e *Engine) StateKeys() int {
	n := 0
	for _, rs := range e.states {
		for _, tbl := range []*table{rs.main, rs.sup} {
			if tbl != nil {
				n += len(tbl.m)
			}
		}
	}
	return n
}
