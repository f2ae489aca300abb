package clickhouse

import (
	"context"
	"os"
	"testing"
	"time"

	chcolumn "github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/stream"
)

// FuzzSinkProcess feeds arbitrary values to the sink on each of its topics:
// Process never fails or panics, and every row it keeps converts into
// clickhouse-go's columns of its table.
func FuzzSinkProcess(f *testing.F) {
	for _, name := range []string{"../testdata/scored_enriched_agent.golden.msgpack", "../testdata/identity.golden.msgpack", "../ocsf/testdata/llmjacking_agent.golden.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		for topic := range 3 {
			f.Add(uint8(topic), b)
		}
	}
	f.Add(uint8(0), []byte("\x80"))
	f.Add(uint8(1), []byte(`{"time": 1, "finding_info": {"uid": "x"}, "start_time": -62135596800001}`))
	f.Fuzz(func(t *testing.T, topic uint8, value []byte) {
		s := &Sink{cfg: SinkConfig{}.withDefaults()}
		s.events, s.alerts, s.identities = newPending(eventsTable), newPending(alertsTable), newPending(identitiesTable)
		rec := &kgo.Record{Topic: s.cfg.Topics()[int(topic)%3], Value: value, Timestamp: time.Now()}
		if err := s.Process(context.Background(), rec, &stream.Output{}); err != nil {
			t.Fatalf("Process = %v", err)
		}
		appendAll(t, s.events)
		appendAll(t, s.alerts)
		appendAll(t, s.identities)
	})
}

// appendAll appends the rows of p to clickhouse-go columns of its table's
// types, as an insert does.
func appendAll[R any](t *testing.T, p *pending[R]) {
	t.Helper()
	for i, c := range p.t.namesAndTypes() {
		col, err := chcolumn.Type(c.Type).Column(c.Name, &chcolumn.ServerContext{Timezone: time.UTC})
		if err != nil {
			t.Fatalf("column %s %s: %v", c.Name, c.Type, err)
		}
		if _, err := col.Append(p.bufs[i].values(0, p.rows())); err != nil {
			t.Fatalf("append to %s.%s (%s): %v", p.t.name, c.Name, c.Type, err)
		}
	}
}
