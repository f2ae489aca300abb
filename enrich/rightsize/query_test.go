package rightsize_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// readyQuery runs a ready query with its default parameters and returns
// its rows, each value formatted with %v.
func readyQuery(t *testing.T, conn driver.Conn, name string) [][]string {
	t.Helper()
	q, ok := clickhouse.LookupQuery(name)
	if !ok {
		t.Fatalf("no ready query %s", name)
	}
	params, err := q.Parameters(nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ch.Context(context.Background(), ch.WithParameters(params)), q.SQL)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer rows.Close()
	var out [][]string
	types := rows.ColumnTypes()
	for rows.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = fmt.Sprint(reflect.ValueOf(v).Elem().Interface())
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
