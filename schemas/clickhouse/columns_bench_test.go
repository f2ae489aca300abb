package clickhouse

import (
	"os"
	"testing"
	"time"

	chcolumn "github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/schemas"
)

// BenchmarkEventColumns measures the Go side of the sink per event, without
// ClickHouse: decoding the MessagePack record of the golden scored event,
// appending its row to the column buffers, and appending the buffers to
// clickhouse-go's columns (as Flush does before encoding the block).
func BenchmarkEventColumns(b *testing.B) {
	js, err := os.ReadFile("../testdata/scored_enriched_agent.golden.json")
	if err != nil {
		b.Fatal(err)
	}
	var e schemas.Event
	if err := schemas.DecodeEvent(schemas.ContentTypeEventJSON, js, &e); err != nil {
		b.Fatal(err)
	}
	value, err := schemas.AppendEvent(nil, &e)
	if err != nil {
		b.Fatal(err)
	}
	rec := &kgo.Record{Topic: schemas.TopicScored, Value: value}
	const batch = 5000
	p := newPending(eventsTable)
	var ev schemas.Event
	types := eventsTable.namesAndTypes()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		ev.Raw.Data = nil
		if err := schemas.DecodeEvent("", rec.Value, &ev); err != nil {
			b.Fatal(err)
		}
		if err := p.add(&ev, rec); err != nil {
			b.Fatal(err)
		}
		if n++; n == batch {
			for i, buf := range p.bufs {
				c, err := chcolumn.Type(types[i].Type).Column(types[i].Name, &chcolumn.ServerContext{Timezone: time.UTC})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Append(buf.values(0, batch)); err != nil {
					b.Fatalf("%s: %v", types[i].Name, err)
				}
			}
			p.reset()
			n = 0
		}
	}
}
