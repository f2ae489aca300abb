package baseline

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/aitdr/aitdr/schemas"
	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// SnapshotWriter stores baseline snapshots for analysts: the stage's
// boundary with ClickHouse, so that it runs without one when none is
// configured. ClickHouseSnapshots is the implementation; it must be safe
// for use from a goroutine other than the Worker's.
type SnapshotWriter interface {
	WriteSnapshots(ctx context.Context, rows []chschema.BaselineSnapshot) error
}

// ClickHouseSnapshots writes snapshots to the baseline_snapshots table.
type ClickHouseSnapshots struct {
	conn     driver.Conn
	database string
}

var _ SnapshotWriter = (*ClickHouseSnapshots)(nil)

// NewClickHouseSnapshots returns a writer to the baseline_snapshots table
// of database ("" is chschema.DefaultDatabase) over conn.
func NewClickHouseSnapshots(conn driver.Conn, database string) *ClickHouseSnapshots {
	if database == "" {
		database = chschema.DefaultDatabase
	}
	return &ClickHouseSnapshots{conn: conn, database: database}
}

// WriteSnapshots inserts rows in one insert.
func (c *ClickHouseSnapshots) WriteSnapshots(ctx context.Context, rows []chschema.BaselineSnapshot) error {
	return chschema.Insert(ctx, c.conn, c.database, "", rows)
}

// maintenanceInterval is how often (wall clock) the retention sweep runs.
const maintenanceInterval = time.Hour

// snapshotter is the Worker's snapshot schedule: every interval it lists
// the identities changed since their last snapshot, then writes a batch of
// them at each flush, one write in flight at a time, off the worker's
// goroutine so that a slow or absent ClickHouse never holds the stream.
type snapshotter struct {
	last      time.Time // the start of the last round
	lastSweep time.Time
	queue     []snapshotRef
	busy      atomic.Bool
}

type snapshotRef struct {
	partition int32
	key       string
}

// snapshot runs the retention sweep and the snapshot schedule; Flush calls
// it.
func (w *Worker) snapshot(ctx context.Context) {
	now := w.now()
	cfg := w.m.cfg.Snapshots
	enabled := w.snapshots != nil && cfg.Interval > 0
	if now.Sub(w.snap.lastSweep) >= maintenanceInterval {
		w.snap.lastSweep = now
		for _, p := range w.parts {
			if n := p.Sweep(); n > 0 {
				w.ins.retired.Add(ctx, int64(n))
				w.log.Info("idle identities retired", "partition", p.id, "identities", n)
			}
		}
	}
	if !enabled {
		return
	}
	if len(w.snap.queue) == 0 && now.Sub(w.snap.last) >= cfg.Interval {
		w.snap.last = now
		for pid, p := range w.parts {
			for key, id := range p.ids {
				if id.snap {
					w.snap.queue = append(w.snap.queue, snapshotRef{partition: pid, key: key})
				}
			}
		}
	}
	if len(w.snap.queue) == 0 || w.snap.busy.Load() {
		return
	}
	n := min(len(w.snap.queue), cfg.BatchIdentities)
	var rows []chschema.BaselineSnapshot
	for _, ref := range w.snap.queue[:n] {
		p := w.parts[ref.partition]
		if p == nil {
			continue // revoked since
		}
		if id := p.ids[ref.key]; id != nil {
			rows = p.m.snapshotRows(id, now, rows)
			id.snap = false
		}
	}
	clear(w.snap.queue[:n])
	w.snap.queue = w.snap.queue[n:]
	if len(w.snap.queue) == 0 {
		w.snap.queue = nil
	}
	if len(rows) == 0 {
		return
	}
	w.snap.busy.Store(true)
	go func() {
		defer w.snap.busy.Store(false)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Timeout)
		defer cancel()
		if err := w.snapshots.WriteSnapshots(ctx, rows); err != nil {
			w.ins.snapshotRows.Add(ctx, int64(len(rows)), w.ins.failed)
			w.log.Warn("baseline snapshot not written; the next round writes the identities that change again",
				"rows", len(rows), "err", err)
			return
		}
		w.ins.snapshotRows.Add(ctx, int64(len(rows)), w.ins.written)
	}()
}

// snapshotRows appends the snapshot rows of id at time at: the mean,
// variance and samples of each measure and horizon, and of each category's
// event rate; the hour-of-week profile rides on the rate/1h row.
func (m *model) snapshotRows(id *identity, at time.Time, rows []chschema.BaselineSnapshot) []chschema.BaselineSnapshot {
	group := ""
	if id.peer != nil {
		group = id.peer.name
	}
	learning := id.events < m.learnEvents || id.maxTime-id.firstTime < m.learnPeriod
	row := func(metric string, h int, s *stat, n uint32) chschema.BaselineSnapshot {
		return chschema.BaselineSnapshot{
			IdentityID: id.key, SnapshotTime: at, PeerGroup: group, Learning: learning,
			Metric: metric, Horizon: horizonNames[h],
			Mean: float64(s.mean), Variance: float64(s.variance), Samples: int64(n),
		}
	}
	for h := range numHorizons {
		for i := range numMeasures {
			r := row(measureNames[i], h, &id.totals.s[h][i], id.totals.n[h])
			if i == mEvents && h == h1h {
				zone := id.zone
				if zone == nil {
					zone = m.zone
				}
				_, offset := at.In(zone).Zone()
				r.HourOfWeek = id.prof.shares(offset)
			}
			rows = append(rows, r)
		}
	}
	categories := schemas.Categories()
	for i := range id.cats {
		c := &id.cats[i]
		for h := range numHorizons {
			rows = append(rows, row("category_rate."+string(categories[c.cat]), h, &c.s[h][mEvents], c.n[h]))
		}
	}
	return rows
}
