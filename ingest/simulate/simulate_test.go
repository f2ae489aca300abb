package simulate_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest/simulate"
)

// runToFiles runs cfg into dir with the file sink, labels in
// dir/labels.jsonl and the context files in dir/context.
func runToFiles(t *testing.T, cfg simulate.Config, dir string) simulate.Stats {
	t.Helper()
	labels, err := os.Create(filepath.Join(dir, "labels.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer labels.Close()
	s := newSimulator(t, cfg, simulate.WithLabels(labels))
	sink, err := simulate.NewFileSink(dir)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := s.Run(context.Background(), sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteContext(filepath.Join(dir, "context")); err != nil {
		t.Fatal(err)
	}
	return stats
}

// readTree returns every file under dir by its relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSameSeedSameBytes shows that two runs of one configuration write
// byte-identical records, labels and context files, and that another seed
// writes other ones.
func TestSameSeedSameBytes(t *testing.T) {
	cfg := smallConfig()
	cfg.Time.Duration = 48 * time.Hour
	a, b := t.TempDir(), t.TempDir()
	stats := runToFiles(t, cfg, a)
	runToFiles(t, cfg, b)
	filesA, filesB := readTree(t, a), readTree(t, b)
	if len(filesA) < 12 || len(filesA) != len(filesB) {
		t.Fatalf("%d and %d files", len(filesA), len(filesB))
	}
	for name, data := range filesA {
		if !bytes.Equal(data, filesB[name]) {
			t.Errorf("%s differs between two runs of one seed", name)
		}
		if len(data) == 0 {
			t.Errorf("%s is empty", name)
		}
	}
	if n := bytes.Count(filesA["labels.jsonl"], []byte("\n")); n != stats.Labels || n < 5 {
		t.Errorf("labels.jsonl holds %d labels, stats %d", n, stats.Labels)
	}
	var lines int64
	for name, data := range filesA {
		if filepath.Ext(name) == ".jsonl" && name != "labels.jsonl" {
			lines += int64(bytes.Count(data, []byte("\n")))
		}
	}
	if lines != stats.Records {
		t.Errorf("the files hold %d records, stats say %d", lines, stats.Records)
	}

	cfg.Seed++
	c := t.TempDir()
	runToFiles(t, cfg, c)
	filesC := readTree(t, c)
	for _, name := range []string{"aws.cloudtrail.jsonl", "labels.jsonl", "context/directory.csv"} {
		if bytes.Equal(filesA[name], filesC[name]) {
			t.Errorf("%s is the same for two seeds", name)
		}
	}
}

// TestRunTwiceSameRecords shows that one Simulator makes the same records
// on every Run: no state leaks from one run into the next.
func TestRunTwiceSameRecords(t *testing.T) {
	cfg := smallConfig()
	cfg.Time.Duration = 12 * time.Hour
	s := newSimulator(t, cfg)
	var first, second collector
	if _, err := s.Run(context.Background(), &first); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background(), &second); err != nil {
		t.Fatal(err)
	}
	if len(first.records) == 0 || !slices.EqualFunc(first.records, second.records, func(a, b simulate.Record) bool {
		return bytes.Equal(a.Data, b.Data) && a.At.Equal(b.At)
	}) {
		t.Fatalf("two runs differ (%d and %d records)", len(first.records), len(second.records))
	}
}

// TestRecordsInEmissionOrder shows records come out in order of their
// simulated emission time, within the simulated span, and that a
// person's activity follows their working hours: most of it on weekdays
// in their own daytime.
func TestRecordsInEmissionOrder(t *testing.T) {
	cfg := smallConfig()
	cfg.Time.Duration = 7 * 24 * time.Hour
	cfg.Scenarios = nil
	records, _, _ := run(t, cfg)
	s := newSimulator(t, cfg)
	for i, r := range records {
		if i > 0 && r.At.Before(records[i-1].At) {
			t.Fatalf("record %d at %s after one at %s", i, r.At, records[i-1].At)
		}
		if r.At.Before(s.Start()) || !r.At.Before(s.End()) {
			t.Fatalf("record %d at %s, outside %s to %s", i, r.At, s.Start(), s.End())
		}
	}
	// Okta sign-ins of people: local hour and weekday of each.
	zones := map[string]string{}
	for _, p := range s.Truth().People {
		for _, id := range p.Identities {
			zones[id] = p.TimeZone
		}
	}
	var day, night, weekend, total int
	for _, r := range records {
		zone, ok := zones[r.IdentityID]
		if !ok || r.Product != "okta" {
			continue
		}
		loc := time.FixedZone(zone, int(zoneOffset(zone).Seconds()))
		l := r.Time.In(loc)
		total++
		switch {
		case l.Weekday() == time.Saturday || l.Weekday() == time.Sunday:
			weekend++
		case l.Hour() >= 7 && l.Hour() < 20:
			day++
		default:
			night++
		}
	}
	if total < 200 || float64(day)/float64(total) < 0.85 || weekend == 0 || night == 0 {
		t.Errorf("people's sign-ins: %d on weekdays in daytime, %d at night, %d at weekends, of %d", day, night, weekend, total)
	}
}

// zoneOffset is the offset the simulator gives a zone (see TimeZones).
func zoneOffset(zone string) time.Duration {
	offsets := map[string]time.Duration{
		"America/New_York": -5 * time.Hour, "America/Los_Angeles": -8 * time.Hour, "Europe/Berlin": time.Hour,
		"Europe/London": 0, "Asia/Kolkata": 5*time.Hour + 30*time.Minute,
	}
	return offsets[zone]
}

// TestCountStopsTheRun shows Count bounds the records, and that an
// instance cut short is labelled as incomplete with only the records that
// went out.
func TestCountStopsTheRun(t *testing.T) {
	cfg := smallConfig()
	full, _, _ := run(t, cfg)
	// Stop in the middle of the first large instance.
	cut := -1
	seen := map[string]int{}
	for i, r := range full {
		if r.Instance != "" {
			seen[r.Instance]++
			if seen[r.Instance] == 20 {
				cut = i
				break
			}
		}
	}
	if cut < 0 {
		t.Fatal("no instance of 20 records")
	}
	cfg.Time.Count = int64(cut + 1)
	records, labels, stats := run(t, cfg)
	if len(records) != cut+1 || stats.Records != int64(cut+1) {
		t.Fatalf("%d records (stats %d), want %d", len(records), stats.Records, cut+1)
	}
	incomplete := 0
	for _, l := range labels {
		if !l.Complete {
			incomplete++
			if len(l.Events) != seen[l.Instance] {
				t.Errorf("%s: %d events labelled, %d went out", l.Instance, len(l.Events), seen[l.Instance])
			}
		}
	}
	if incomplete != 1 {
		t.Errorf("%d incomplete labels, want 1", incomplete)
	}
}

// TestLiveModeFollowsTheWallClock shows that in live mode the history
// before now is played at once, and that no record gets ahead of the wall
// clock: times stay near now, and the run ends when its context does.
func TestLiveModeFollowsTheWallClock(t *testing.T) {
	cfg := smallConfig()
	cfg.Time.Start = "-2h"
	cfg.Time.Duration = 0
	cfg.Time.Live = true
	cfg.Population.Activity = 20
	cfg.Scenarios = nil
	s, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var c collector
	_, err = s.Run(ctx, &c)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's", err)
	}
	end := time.Now()
	if len(c.records) < 100 {
		t.Fatalf("%d records", len(c.records))
	}
	var live int
	for _, r := range c.records {
		if r.At.After(end) {
			t.Fatalf("record at %s is ahead of the wall clock %s", r.At, end)
		}
		if r.At.Before(begin.Add(-2*time.Hour - time.Second)) {
			t.Fatalf("record at %s is before the start", r.At)
		}
		if !r.At.Before(begin) {
			live++
		}
	}
	if live == 0 {
		t.Error("no record after the history")
	}
}

// TestNewRejects shows the configurations New refuses, with the field
// and the reason.
func TestNewRejects(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*simulate.Config)
		want   string
	}{
		{"scenario without anyone", func(c *simulate.Config) { c.Population.PersonalShare = 0 },
			"scenarios[0].kind: personal_account_ai has no one to happen to"},
		{"llmjacking without key agents", func(c *simulate.Config) {
			c.Population.Agents = 2
			c.Population.SharedCredentials = 0
			c.Scenarios = []simulate.Scenario{{Kind: simulate.ScenarioLLMjacking, At: time.Hour}}
		}, "scenarios[0].kind: llmjacking has no one to happen to: the population needs at least three agents"},
		{"too many shared credentials", func(c *simulate.Config) { c.Population.SharedCredentials = 7 },
			"population.shared_credentials: 7 shared credentials need 7 pairs of agents of one kind on keys or service principals, the population has 2"},
		{"end in the future", func(c *simulate.Config) { c.Time.Start = testNow.Add(-time.Hour).Format(time.RFC3339) },
			"time: the simulation would end at 2026-03-23T11:00:00Z, more than a day after now"},
		{"bad start", func(c *simulate.Config) { c.Time.Start = "yesterday" }, `time.start: "yesterday" is not an RFC 3339 time`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smallConfig()
			tc.mutate(&cfg)
			_, err := simulate.New(cfg, simulate.WithClock(func() time.Time { return testNow }))
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestDefaultStartIsAWeekBehind shows the default start: the latest
// Monday 00:00 UTC a week before now, so that a default run covers a
// whole past week.
func TestDefaultStartIsAWeekBehind(t *testing.T) {
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC) // a Friday
	s, err := simulate.New(simulate.Default(), simulate.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	if !s.Start().Equal(want) || !s.End().Equal(want.Add(7*24*time.Hour)) {
		t.Fatalf("start %s, end %s; want %s and a week later", s.Start(), s.End(), want)
	}
}
