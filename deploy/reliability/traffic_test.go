package reliability_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/schemas"
)

// simulation returns a simulator of a smaller organization than the
// default (people and agents scaled by scale) over the span before now,
// with every attack scenario placed after the first day of baselines, at
// rate records a second (0: as fast as Kafka takes them).
func simulation(t *testing.T, span time.Duration, scale float64, rate float64) *simulate.Simulator {
	t.Helper()
	cfg := simulate.Default()
	n := func(v int) int { return max(int(float64(v)*scale), 2) }
	p := &cfg.Population
	p.Users, p.Builders, p.Agents, p.Humans, p.Services = n(p.Users), n(p.Builders), max(n(p.Agents), 20), n(p.Humans), n(p.Services)
	cfg.Time.Start = "-" + span.String()
	cfg.Time.Duration = span
	cfg.Time.Rate = rate
	// Every kind once or more inside the span, each after a day of history.
	at := func(h float64) time.Duration { return time.Duration(h * float64(span) / 72) }
	cfg.Scenarios = []simulate.Scenario{
		{Kind: simulate.ScenarioPersonalAccountAI, At: at(26), Every: at(12), Times: 3},
		{Kind: simulate.ScenarioConfidentialPrompt, At: at(28), Every: at(10), Times: 3},
		{Kind: simulate.ScenarioAfterHoursModelChange, At: at(30), Times: 1},
		{Kind: simulate.ScenarioAgentPrivilegeEscalation, At: at(34), Every: at(16), Times: 2},
		{Kind: simulate.ScenarioAgentCrossTenant, At: at(38), Every: at(16), Times: 2},
		{Kind: simulate.ScenarioAgentDataSpike, At: at(44), Times: 1},
		{Kind: simulate.ScenarioLLMjacking, At: at(48), Times: 1},
	}
	sim, err := simulate.New(cfg)
	if err != nil {
		t.Fatalf("simulator: %v", err)
	}
	return sim
}

// feed produces a simulation to a raw topic in the background and keeps
// the event id of every record the broker acknowledged.
type feed struct {
	mu      sync.Mutex
	ids     []string
	records int64
	first   time.Time
	last    time.Time
	done    chan struct{}
	stats   simulate.Stats
	err     error
}

// startFeed runs sim into topic until it ends or the test does.
func startFeed(t *testing.T, client *kgo.Client, topic string, sim *simulate.Simulator) *feed {
	t.Helper()
	f := &feed{done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	sink := &recordingSink{inner: simulate.NewKafkaSink(client, topic), f: f}
	go func() {
		defer close(f.done)
		f.stats, f.err = sim.Run(ctx, sink)
	}()
	t.Cleanup(func() {
		cancel()
		<-f.done
	})
	return f
}

// wait waits for the simulation to end and fails the test if it failed.
func (f *feed) wait(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-f.done:
	case <-time.After(timeout):
		t.Fatalf("simulation not over after %s: %d records so far", timeout, f.count())
	}
	if f.err != nil {
		t.Fatalf("simulation: %v", f.err)
	}
}

// running reports whether the simulation is still producing.
func (f *feed) running() bool {
	select {
	case <-f.done:
		return false
	default:
		return true
	}
}

// count is the number of records acknowledged so far.
func (f *feed) count() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.records
}

// eventIDs returns the event id of every record acknowledged, as a set.
func (f *feed) eventIDs() map[string]struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	set := make(map[string]struct{}, len(f.ids))
	for _, id := range f.ids {
		set[id] = struct{}{}
	}
	return set
}

// rate is the records per second acknowledged between the first and last
// write.
func (f *feed) rate() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.last.Sub(f.first).Seconds(); s > 0 {
		return float64(f.records) / s
	}
	return 0
}

// recordingSink writes to Kafka and records what the broker acknowledged.
type recordingSink struct {
	inner *simulate.KafkaSink
	f     *feed
}

func (s *recordingSink) Write(ctx context.Context, records []simulate.Record) error {
	start := time.Now()
	if err := s.inner.Write(ctx, records); err != nil {
		return err
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if s.f.first.IsZero() {
		s.f.first = start
	}
	s.f.last = time.Now()
	for _, r := range records {
		s.f.ids = append(s.f.ids, r.EventID)
	}
	s.f.records += int64(len(records))
	return nil
}

// sourceHeader is the raw record header naming its source product.
func sourceHeader(p schemas.Product) kgo.RecordHeader {
	return kgo.RecordHeader{Key: schemas.HeaderSource, Value: []byte(p)}
}
