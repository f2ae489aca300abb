package simulate_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/ingest/simulate"
	"github.com/aitdr/aitdr/ingest/sources"
)

// testStart is the start of the test simulations: a Monday, in the past
// of testNow.
var (
	testStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	testNow   = time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
)

// smallConfig is a population small enough for quick tests that still
// holds every archetype, every source and every scenario, over three
// days.
func smallConfig() simulate.Config {
	cfg := simulate.Default()
	cfg.Seed = 7
	cfg.Population.Users = 24
	cfg.Population.Builders = 4
	cfg.Population.Agents = 14
	cfg.Population.Humans = 6
	cfg.Population.Services = 7
	cfg.Population.PersonalShare = 0.3
	cfg.Population.ShadowShare = 0.3
	cfg.Population.SharedCredentials = 1
	cfg.Time.Start = testStart.Format(time.RFC3339)
	cfg.Time.Duration = 72 * time.Hour
	cfg.Scenarios = []simulate.Scenario{
		{Kind: simulate.ScenarioPersonalAccountAI, At: 2 * time.Hour, Every: 10 * time.Hour, Times: 4},
		{Kind: simulate.ScenarioConfidentialPrompt, At: 3 * time.Hour, Every: 9 * time.Hour, Times: 5},
		{Kind: simulate.ScenarioAfterHoursModelChange, At: 20 * time.Hour, Every: 24 * time.Hour, Times: 2},
		{Kind: simulate.ScenarioAgentPrivilegeEscalation, At: 30 * time.Hour},
		{Kind: simulate.ScenarioAgentCrossTenant, At: 36 * time.Hour, Every: 12 * time.Hour, Times: 2},
		{Kind: simulate.ScenarioAgentDataSpike, At: 40 * time.Hour},
		{Kind: simulate.ScenarioLLMjacking, At: 44 * time.Hour},
	}
	return cfg
}

func newSimulator(t testing.TB, cfg simulate.Config, opts ...simulate.Option) *simulate.Simulator {
	t.Helper()
	s, err := simulate.New(cfg, append([]simulate.Option{simulate.WithClock(func() time.Time { return testNow })}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// collector is a sink that keeps the records.
type collector struct{ records []simulate.Record }

func (c *collector) Write(_ context.Context, records []simulate.Record) error {
	c.records = append(c.records, slices.Clone(records)...)
	return nil
}

// run runs a simulation to its end and returns its records and labels.
func run(t testing.TB, cfg simulate.Config) ([]simulate.Record, []simulate.Label, simulate.Stats) {
	t.Helper()
	var labels bytes.Buffer
	s := newSimulator(t, cfg, simulate.WithLabels(&labels))
	var c collector
	stats, err := s.Run(context.Background(), &c)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := simulate.ReadLabels(&labels)
	if err != nil {
		t.Fatal(err)
	}
	return c.records, ls, stats
}

// newPipeline returns the real ingest pipeline over every shipped source,
// configured as the simulator says.
func newPipeline(t testing.TB, sc sources.Config) *pipeline.Pipeline {
	t.Helper()
	all, err := sources.Build(sc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.Default()
	cfg.Content.HashKey = []byte("0123456789abcdef0123456789abcdef")
	p, err := pipeline.New(cfg, all...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
