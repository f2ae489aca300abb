package clickhouse

import (
	"context"
	"encoding/json"
	"reflect"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/aitdr/aitdr/schemas"
)

// rowValues returns the value the writer puts in each column for r.
func rowValues[R any](t *table[R], r *R) []any {
	b := newBatch(t)
	for _, buf := range b.bufs {
		buf.add(r)
	}
	out := make([]any, len(b.bufs))
	for i, buf := range b.bufs {
		out[i] = reflect.ValueOf(buf.values(0, 1)).Index(0).Interface()
		if f, ok := out[i].(*featureRow); ok {
			out[i] = f.Map()
		}
	}
	return out
}

// EventValues returns the column values of e, in column order.
func EventValues(e *schemas.Event) []any { return rowValues(eventsTable, e) }

// AlertValues returns the column values of the alert in b, in column order.
func AlertValues(b []byte) ([]any, error) {
	var a alertRow
	if err := json.Unmarshal(b, &a.f); err != nil {
		return nil, err
	}
	a.json = string(b)
	return rowValues(alertsTable, &a), nil
}

// IdentityValues returns the column values of id published at updated.
func IdentityValues(id *schemas.Identity, updated time.Time) []any {
	return rowValues(identitiesTable, &identityRow{id: *id, updated: updated})
}

// InsertEvents inserts events as one batch with the given deduplication
// token, as the sink does.
func InsertEvents(ctx context.Context, conn driver.Conn, db string, events []schemas.Event, token string) error {
	p := newPending(eventsTable)
	for i := range events {
		if err := p.batch.add(&events[i], 1); err != nil {
			return err
		}
	}
	return p.insert(ctx, conn, db, token, 0, p.rows())
}

// FeatureSkipped returns the fields of schemas.Features the features map
// cannot hold.
func FeatureSkipped() []string { return featureSkipped }

// InsertAlert inserts the alert in b, as the sink does.
func InsertAlert(ctx context.Context, conn driver.Conn, db string, b []byte) error {
	var a alertRow
	if err := json.Unmarshal(b, &a.f); err != nil {
		return err
	}
	a.json = string(b)
	p := newPending(alertsTable)
	if err := p.batch.add(&a, 1); err != nil {
		return err
	}
	return p.insert(ctx, conn, db, "alert-"+a.f.FindingInfo.UID, 0, 1)
}

// InsertIdentity inserts id published at updated, as the sink does.
func InsertIdentity(ctx context.Context, conn driver.Conn, db string, id *schemas.Identity, updated time.Time) error {
	p := newPending(identitiesTable)
	if err := p.batch.add(&identityRow{id: *id, updated: updated}, 1); err != nil {
		return err
	}
	return p.insert(ctx, conn, db, "identity-"+id.ID, 0, 1)
}

// BootstrapStatements returns the statements creating the database and the
// migrations table under opts.
func BootstrapStatements(opts Options) []string {
	return layout{opts.withDefaults()}.bootstrap()
}
