package simulate

import (
	"bytes"
	"container/heap"
	"fmt"
	json "github.com/goccy/go-json"
	"slices"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// Record is one source record the simulator made, in the source's own
// format, with what aitdr is expected to derive from it.
type Record struct {
	// Product is the source product of Data; sinks name it (the HTTP
	// path, the aitdr-source header, the file name).
	Product schemas.Product
	// Data is one source record, compact JSON on one line.
	Data []byte
	// Time is the event time the record states.
	Time time.Time
	// At is the simulated time the record is emitted at: Time, or later
	// for records that report a past period (usage reports).
	At time.Time
	// SourceEventID is the source's own id of the record; empty for the
	// sources that have none (usage rows).
	SourceEventID string
	// EventID is the id aitdr gives the event:
	// schemas.EventID(Product, SourceEventID, Data).
	EventID string
	// IdentityID is the identity id aitdr derives from the record.
	IdentityID string
	// Category is the action category aitdr derives from the record.
	Category schemas.Category
	// Scenario is the scenario kind of an injected record; empty for
	// background activity.
	Scenario string
	// Instance names the scenario instance, such as "llmjacking-2".
	Instance string
}

// actor is one source of records: a person, an agent, a service or a
// scenario instance. Its records are kept in order of At; the engine
// interleaves the actors by that time.
type actor struct {
	index int
	rng   rng
	// tick is the time of the actor's next activity; zero when it has no
	// more.
	tick  time.Time
	queue []Record
	// rate is the most activities per hour, at intensity 1; rh the rhythm
	// that thins them.
	rate float64
	rh   *rhythm
	impl activity
}

// activity is what an actor does at each of its ticks.
type activity interface {
	// step appends the records of the activity at t to a's queue.
	step(g *engine, a *actor, t time.Time)
}

// ticker is implemented by activities that set their own next tick
// instead of drawing it from a rate and a rhythm.
type ticker interface {
	// next returns the tick after t, or zero for none.
	next(t, end time.Time) time.Time
}

// key is the time of the actor's next record or activity.
func (a *actor) key() time.Time {
	if len(a.queue) > 0 && (a.tick.IsZero() || !a.tick.Before(a.queue[0].At)) {
		return a.queue[0].At
	}
	return a.tick
}

// done reports whether the actor has nothing more.
func (a *actor) done() bool { return len(a.queue) == 0 && a.tick.IsZero() }

// push adds r to the queue, keeping it in order of At.
func (a *actor) push(r Record) {
	i := len(a.queue)
	a.queue = append(a.queue, r)
	for i > 0 && a.queue[i-1].At.After(r.At) {
		a.queue[i] = a.queue[i-1]
		i--
	}
	a.queue[i] = r
}

// nextTick draws the time of the next activity after t: a Poisson process
// of the actor's rate thinned by its rhythm's intensity.
func (a *actor) nextTick(t, end time.Time) time.Time {
	if a.rate <= 0 || a.rh == nil {
		return time.Time{}
	}
	perHour := a.rate
	for {
		dt := a.rng.ExpFloat64() / perHour
		t = t.Add(time.Duration(dt * float64(time.Hour))).Truncate(time.Millisecond)
		if !t.Before(end) {
			return time.Time{}
		}
		if a.rng.Float64() < a.rh.intensity(t) {
			return t
		}
	}
}

// actorHeap orders actors by key, then index, so that ties resolve the
// same way every run.
type actorHeap []*actor

func (h actorHeap) Len() int { return len(h) }
func (h actorHeap) Less(i, j int) bool {
	ki, kj := h[i].key(), h[j].key()
	if !ki.Equal(kj) {
		return ki.Before(kj)
	}
	return h[i].index < h[j].index
}
func (h actorHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *actorHeap) Push(x any)   { *h = append(*h, x.(*actor)) }
func (h *actorHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// engine produces the records of every actor in order of emission time.
// It is not safe for concurrent use.
type engine struct {
	cfg    *Config
	pop    *population
	start  time.Time
	end    time.Time
	actors actorHeap
	buf    bytes.Buffer
	enc    *json.Encoder
	err    error
	// indexes numbers the actors in the order they were added.
	indexes int
	ready   bool
	// instances are the scenario instances, in schedule order.
	instances []*instance
	byName    map[string]*instance
	// targets are the candidates of each scenario kind, in the order
	// they are chosen; targeted counts the instances of each target.
	targets   map[string][]scenarioTarget
	targeted  map[string]int
	kindCount map[string]int
}

func newEngine(cfg *Config, pop *population, start, end time.Time) *engine {
	g := &engine{cfg: cfg, pop: pop, start: start, end: end,
		targets: map[string][]scenarioTarget{}, targeted: map[string]int{}, kindCount: map[string]int{}}
	g.enc = json.NewEncoder(&g.buf)
	g.enc.SetEscapeHTML(false) // sources do not escape HTML
	return g
}

// add registers an actor whose first activity is at first; actors added
// while the engine runs (scenario instances) join in time order.
func (g *engine) add(a *actor, first time.Time) {
	a.index = g.indexes
	g.indexes++
	a.tick = first
	if a.done() {
		return
	}
	if g.ready {
		heap.Push(&g.actors, a)
		return
	}
	g.actors = append(g.actors, a)
}

// init orders the actors added so far; call it once before next.
func (g *engine) init() {
	heap.Init(&g.actors)
	g.ready = true
}

// next returns the next record, or false when the simulation is over (or
// failed: see err).
func (g *engine) next() (Record, bool) {
	for len(g.actors) > 0 && g.err == nil {
		a := g.actors[0]
		k := a.key()
		if !k.Before(g.end) {
			return Record{}, false
		}
		if len(a.queue) > 0 && k.Equal(a.queue[0].At) {
			r := a.queue[0]
			a.queue[0] = Record{}
			a.queue = a.queue[1:]
			if a.done() {
				heap.Pop(&g.actors)
			} else {
				heap.Fix(&g.actors, 0)
			}
			return r, true
		}
		t := a.tick.Truncate(time.Millisecond) // every source keeps at least milliseconds
		added := g.indexes
		a.impl.step(g, a, t)
		if tk, ok := a.impl.(ticker); ok {
			a.tick = tk.next(t, g.end)
		} else {
			a.tick = a.nextTick(t, g.end)
		}
		i := 0
		if g.indexes != added {
			// step added actors: a is no longer necessarily first.
			i = slices.Index(g.actors, a)
		}
		if a.done() {
			heap.Remove(&g.actors, i)
		} else {
			heap.Fix(&g.actors, i)
		}
	}
	return Record{}, false
}

// record encodes v as the record of one event.
func (g *engine) record(product schemas.Product, at, t time.Time, sourceID, identity string, category schemas.Category, v any) Record {
	g.buf.Reset()
	if err := g.enc.Encode(v); err != nil {
		// Every record is built from plain strings and numbers: a failure
		// is a bug of the simulator, reported once by Run.
		if g.err == nil {
			g.err = fmt.Errorf("encode %s record: %w", product, err)
		}
		return Record{}
	}
	data := bytes.Clone(bytes.TrimSuffix(g.buf.Bytes(), []byte("\n")))
	return Record{
		Product:       product,
		Data:          data,
		Time:          t,
		At:            at,
		SourceEventID: sourceID,
		EventID:       schemas.EventID(product, sourceID, data),
		IdentityID:    identity,
		Category:      category,
	}
}
