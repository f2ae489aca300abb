package rules_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric/noop"

	"github.com/aitdr/aitdr/rules"
	"github.com/aitdr/aitdr/rules/pack"
	"github.com/aitdr/aitdr/schemas"
)

// benchSet is the shipped pack when it has 50 rules or more, else the
// engine's test rules.
func benchSet(b *testing.B) *rules.Set {
	set, err := rules.NewLoader().AddFS(pack.FS(), pack.Name).Load()
	if err == nil && set.Enabled() >= 50 {
		return set
	}
	b.Logf("the pack does not load or has fewer than 50 rules (%v); using testdata/rules", err)
	set, err = rules.LoadPaths("testdata/rules")
	if err != nil {
		b.Fatal(err)
	}
	return set
}

// quietEvents returns the events of values that raise no alert of set on
// their own: a stream of ordinary activity, without the attacks the
// ingest samples also hold.
func quietEvents(set *rules.Set, events []schemas.Event) []schemas.Event {
	var out []schemas.Event
	for _, ev := range events {
		e := rules.NewEngine(set, rules.WithLogger(quietLogger()), rules.WithMeterProvider(noop.NewMeterProvider()))
		probe := ev
		if len(e.Process(&probe, rules.Position{Offset: -1}, nil)) == 0 {
			out = append(out, ev)
		}
	}
	return out
}

// benchEvents is a realistic stream: the normalized events of every
// ingest golden file (real records of every source, raw record included),
// enriched with a class from their identity kind and ordinary baseline
// features, 99 in 100; and the rules' own test events (built to fire or
// nearly fire), one in 100. It returns them encoded as the scored topic
// carries them.
func benchEvents(b *testing.B, set *rules.Set) [][]byte {
	files, _ := filepath.Glob("../ingest/*/testdata/*.golden.json")
	var ordinary []schemas.Event
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		var many []schemas.Event
		if err := json.Unmarshal(data, &many); err != nil {
			var one schemas.Event
			if err := json.Unmarshal(data, &one); err != nil {
				continue
			}
			many = []schemas.Event{one}
		}
		ordinary = append(ordinary, many...)
	}
	var firing []schemas.Event
	for _, r := range set.Rules() {
		for _, tc := range r.Spec.Tests {
			firing = append(firing, rules.TestEvents(r, tc)...)
		}
	}
	if len(ordinary) == 0 {
		b.Fatal("no ingest golden events found")
	}
	classes := map[schemas.IdentityKind]schemas.IdentityClass{
		schemas.KindAgent: schemas.ClassAIAgent, schemas.KindHuman: schemas.ClassAIUser, schemas.KindService: schemas.ClassService,
	}
	var out [][]byte
	for i := range 100 * len(ordinary) {
		var ev schemas.Event
		if i%100 == 99 && len(firing) > 0 {
			ev = firing[(i/100)%len(firing)]
		} else {
			ev = ordinary[i%len(ordinary)]
			if ev.Enrichment.Class == "" {
				ev.Enrichment.Class = classes[ev.Identity.Kind]
			}
			ev.Features = schemas.Features{Available: true, RateRatio: schemas.Horizons{M5: 1.2, H1: 0.9, D1: 1}, HourTypicality: 0.6}
		}
		ev.ID = fmt.Sprintf("bench-%d", i)
		ev.SchemaVersion = schemas.EventSchemaVersion
		// A thousand identities, so that state spreads over many keys.
		ev.Identity.ID = fmt.Sprintf("%s#%d", ev.Identity.ID, i%1000)
		value, err := schemas.MarshalEvent(&ev)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, value)
	}
	return out
}

// BenchmarkEngine measures the rules stage's work per event in process,
// with the shipped pack: evaluating the rule set with its state, encoding
// the alerts, and checkpointing the state every 500 events as Flush does
// (process); the same after decoding the scored record as the stage does
// (decode+process); and over the ordinary events alone, those of the
// stream that raise no alert on their own (quiet/process). Run with -cpu 1
// for the per-core rate.
func BenchmarkEngine(b *testing.B) {
	set := benchSet(b)
	values := benchEvents(b, set)
	decoded := make([]schemas.Event, len(values))
	for i, v := range values {
		if err := schemas.DecodeEvent(schemas.ContentTypeEventMsgpack, v, &decoded[i]); err != nil {
			b.Fatal(err)
		}
	}
	quiet := quietEvents(set, decoded[:len(decoded)/10])
	// Ids of the events, reused after twice as many as the engine
	// remembers: a repeat of the stream is new events, not copies.
	ids := make([]string, 2*rules.DefaultLimits.RecentEvents)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%d", i)
	}
	for _, run := range []struct {
		name   string
		decode bool
		events []schemas.Event
	}{{"process", false, decoded}, {"decode+process", true, decoded}, {"quiet/process", false, quiet}} {
		decode := run.decode
		decoded := run.events
		b.Run(run.name, func(b *testing.B) {
			e := rules.NewEngine(set, rules.WithLogger(quietLogger()), rules.WithMeterProvider(noop.NewMeterProvider()))
			var ev schemas.Event
			var alerts []*rules.Alert
			var fired, written int
			start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				if decode {
					if err := schemas.DecodeEvent(schemas.ContentTypeEventMsgpack, values[i%len(values)], &ev); err != nil {
						b.Fatal(err)
					}
				} else {
					ev = decoded[i%len(decoded)]
				}
				ev.ID = ids[i%len(ids)]
				ev.Time = start.Add(time.Duration(i) * 10 * time.Millisecond)
				alerts = e.Process(&ev, rules.Position{Offset: int64(i)}, alerts[:0])
				for _, a := range alerts {
					if _, err := a.JSON(); err != nil {
						b.Fatal(err)
					}
				}
				fired += len(alerts)
				if i%500 == 499 {
					written += len(e.Checkpoint())
				}
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			// The rate per CPU second counts the process's CPU time (GC
			// included), which a machine shared with other work does not
			// distort as it does wall time.
			b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
			b.ReportMetric(float64(fired)/float64(b.N), "alerts/event")
			b.ReportMetric(float64(written)/float64(b.N), "state-writes/event")
			b.ReportMetric(float64(set.Enabled()), "rules")
		})
	}
}

// cpuTime returns the CPU time the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkIndex shows the cost per event does not grow with rules that
// cannot match it: 10 or 500 rules indexed under other actions cost the
// same, while 500 rules listing no action, which every event meets, cost
// in proportion.
func BenchmarkIndex(b *testing.B) {
	set := func(n int, indexed bool) *rules.Set {
		var y strings.Builder
		y.WriteString("rules:\n")
		for i := range n {
			index := ""
			if indexed {
				index = fmt.Sprintf("    actions: [OtherAction%d]\n", i)
			}
			fmt.Fprintf(&y, "  - id: r%d\n    title: t\n    description: d\n    severity: low\n%s    condition: 'network.source_ip == \"192.0.2.%d\"'\n", i, index, i%250)
		}
		dir := b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "r.yaml"), []byte(y.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		s, err := rules.LoadPaths(dir)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	ev := &schemas.Event{
		ID: "e", Time: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		Identity: schemas.Principal{ID: "aws:1:role/agent"}, Network: schemas.Network{SourceIP: "203.0.113.9"},
		Action: schemas.Action{Name: "InvokeModel", Category: schemas.CategoryModelInference, Verb: schemas.VerbInvoke},
	}
	for _, tc := range []struct {
		name    string
		rules   int
		indexed bool
	}{{"non-matching=10", 10, true}, {"non-matching=500", 500, true}, {"unindexed=10", 10, false}, {"unindexed=500", 500, false}} {
		b.Run(tc.name, func(b *testing.B) {
			e := rules.NewEngine(set(tc.rules, tc.indexed), rules.WithLogger(quietLogger()), rules.WithMeterProvider(noop.NewMeterProvider()))
			var alerts []*rules.Alert
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				alerts = e.Process(ev, rules.Position{Offset: -1}, alerts[:0])
			}
		})
	}
}
