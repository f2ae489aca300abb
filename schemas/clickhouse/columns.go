package clickhouse

import (
	"errors"
	"fmt"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// This file is the column-oriented writer the sink uses: a table is one
// declarative list of columns (name, ClickHouse type, accessor), and a batch
// keeps one typed slice per column, handed whole to clickhouse-go with
// batch.Column(i).Append(slice) at flush time. TestColumnsMatchTables checks
// the lists against DESCRIBE TABLE on the embedded engine.

// Column is one column of a table as this package writes it.
type Column struct {
	// Name is the column name, as DESCRIBE TABLE shows it (a Nested
	// sub-column is "parent.child").
	Name string
	// Type is the ClickHouse type, as DESCRIBE TABLE shows it.
	Type string
}

// column is one column of a table of rows of type R: its name, its type and
// a factory of buffers that fill it from rows.
type column[R any] struct {
	name, typ string
	buffer    func() buffer[R]
}

// buffer holds the values of one column for a batch of rows.
type buffer[R any] interface {
	// add appends the column's value of r.
	add(r *R)
	// values returns the values of rows [from, to), as clickhouse-go's
	// Append takes them.
	values(from, to int) any
	// reset empties the buffer, keeping its capacity.
	reset()
}

// values is a buffer of values of type T, read from rows with get.
type values[R, T any] struct {
	get  func(*R) T
	vals []T
}

func (v *values[R, T]) add(r *R)                { v.vals = append(v.vals, v.get(r)) }
func (v *values[R, T]) values(from, to int) any { return v.vals[from:to] }
func (v *values[R, T]) reset()                  { clear(v.vals); v.vals = v.vals[:0] }

// col declares a column of type typ whose Go value of a row is get(row).
// T must be a type clickhouse-go appends to typ: string for String and
// LowCardinality(String), time.Time for DateTime64, []T for Array(T),
// map[K]V for Map(K, V), and the Go integer, float and bool types of the
// same width.
func col[R, T any](name, typ string, get func(*R) T) column[R] {
	return column[R]{name: name, typ: typ, buffer: func() buffer[R] { return &values[R, T]{get: get} }}
}

// table is a ClickHouse table written from rows of type R.
type table[R any] struct {
	// name is the table name (the Distributed one on a cluster).
	name string
	// columns are the columns written, in DESCRIBE TABLE order.
	columns []column[R]
	// check returns why a row cannot become a row of the table, or nil.
	check func(*R) error
	// settings are ClickHouse settings of every insert into the table.
	settings ch.Settings
}

// Columns returns the table's columns as the writer declares them.
func (t *table[R]) Columns() []Column {
	out := make([]Column, len(t.columns))
	for i, c := range t.columns {
		out[i] = Column{Name: c.name, Type: c.typ}
	}
	return out
}

// insertQuery is the INSERT statement of a batch into db.
func (t *table[R]) insertQuery(db string) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(db)
	b.WriteByte('.')
	b.WriteString(t.name)
	b.WriteString(" (")
	for i, c := range t.columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('`')
		b.WriteString(c.name)
		b.WriteByte('`')
	}
	b.WriteByte(')')
	return b.String()
}

// namesAndTypes is the column metadata clickhouse-go's HTTP batches would
// otherwise fetch with a DESCRIBE TABLE before every insert. It declares
// LowCardinality(String) as String: clickhouse-go appends strings to a
// String column without reflection, about five times faster than to a
// LowCardinality one, and ClickHouse converts the column as it reads the
// Native block (input_format_native_allow_types_conversion, on by
// default). Over the native protocol the server's types apply instead.
func (t *table[R]) namesAndTypes() []ch.ColumnNameAndType {
	out := make([]ch.ColumnNameAndType, len(t.columns))
	for i, c := range t.columns {
		out[i] = ch.ColumnNameAndType{Name: c.name, Type: strings.ReplaceAll(c.typ, "LowCardinality(String)", "String")}
	}
	return out
}

// batch is a batch of rows of one table, column by column. It is not safe
// for concurrent use.
type batch[R any] struct {
	t    *table[R]
	bufs []buffer[R]
	rows int
	// sizes are the estimated sizes of the rows in bytes.
	sizes []int
}

func newBatch[R any](t *table[R]) *batch[R] {
	b := &batch[R]{t: t, bufs: make([]buffer[R], len(t.columns))}
	for i, c := range t.columns {
		b.bufs[i] = c.buffer()
	}
	return b
}

// add appends r, of about size bytes, or returns why it cannot become a
// row (and appends nothing).
func (b *batch[R]) add(r *R, size int) error {
	if b.t.check != nil {
		if err := b.t.check(r); err != nil {
			return err
		}
	}
	for _, buf := range b.bufs {
		buf.add(r)
	}
	b.rows++
	b.sizes = append(b.sizes, size)
	return nil
}

// reset empties the batch.
func (b *batch[R]) reset() {
	for _, buf := range b.bufs {
		buf.reset()
	}
	b.rows = 0
	b.sizes = b.sizes[:0]
}

// chunks splits the rows into consecutive ranges [from, to) of at most
// maxBytes each (a larger row is a chunk of its own).
func (b *batch[R]) chunks(maxBytes int) [][2]int {
	var out [][2]int
	from, size := 0, 0
	for i, s := range b.sizes {
		if i > from && size+s > maxBytes {
			out = append(out, [2]int{from, i})
			from, size = i, 0
		}
		size += s
	}
	if from < b.rows {
		out = append(out, [2]int{from, b.rows})
	}
	return out
}

// appendTo appends rows [from, to) of every column to a prepared
// clickhouse-go batch whose columns are the table's, in order.
func (b *batch[R]) appendTo(dst driver.Batch, from, to int) error {
	for i, buf := range b.bufs {
		if err := dst.Column(i).Append(buf.values(from, to)); err != nil {
			return fmt.Errorf("column %s (%s): %w", b.t.columns[i].name, b.t.columns[i].typ, err)
		}
	}
	return nil
}

// The range of DateTime64 in ClickHouse.
var (
	minTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2299, 12, 31, 23, 59, 59, 999_000_000, time.UTC)
	epoch   = time.Unix(0, 0).UTC()
)

// errTimeRange is wrapped by the errors of times DateTime64 cannot hold.
var errTimeRange = errors.New("outside the range of ClickHouse DateTime64 (1900-01-01 to 2299-12-31)")

// checkTime returns an error naming field when t is set but outside the
// range of DateTime64; the zero time is stored as 1970-01-01 (see ts).
func checkTime(field string, t time.Time) error {
	if t.IsZero() || !t.Before(minTime) && !t.After(maxTime) {
		return nil
	}
	return fmt.Errorf("%s %s is %w", field, t.UTC().Format(time.RFC3339Nano), errTimeRange)
}

// checkRequiredTime is checkTime for a time that must be set.
func checkRequiredTime(field string, t time.Time) error {
	if t.IsZero() {
		return fmt.Errorf("%s is missing", field)
	}
	return checkTime(field, t)
}

// ts is the value of a DateTime64 column: t in UTC, or 1970-01-01 (the
// column's default) for the zero time.
func ts(t time.Time) time.Time {
	if t.IsZero() {
		return epoch
	}
	return t
}

// millis returns an OCSF timestamp (ms since the Unix epoch, 0 for none) as
// a time.
func millis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// Columns returns the columns this package writes into table, in DESCRIBE
// TABLE order: "events", "alerts" and "identities" (the sink's), and
// "response_actions", "permission_grants", "baseline_snapshots",
// "alert_dispositions", "response_times", "rightsize_identities" and
// "rightsize_permissions" (Insert's); nil for other tables.
func Columns(table string) []Column {
	switch table {
	case eventsTable.name:
		return eventsTable.Columns()
	case alertsTable.name:
		return alertsTable.Columns()
	case identitiesTable.name:
		return identitiesTable.Columns()
	case responseActionsTable.name:
		return responseActionsTable.Columns()
	case permissionGrantsTable.name:
		return permissionGrantsTable.Columns()
	case baselineSnapshotsTable.name:
		return baselineSnapshotsTable.Columns()
	case alertDispositionsTable.name:
		return alertDispositionsTable.Columns()
	case responseTimesTable.name:
		return responseTimesTable.Columns()
	case rightsizeIdentitiesTable.name:
		return rightsizeIdentitiesTable.Columns()
	case rightsizePermissionsTable.name:
		return rightsizePermissionsTable.Columns()
	}
	return nil
}
