package clickhouse

import (
	"fmt"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Connect returns a clickhouse-go connection pool for dsn: the native
// protocol for clickhouse://host:9000 (or tcp://), ClickHouse's HTTP
// interface for http://host:8123 and https://host:8443?secure=true, which is
// also how the embedded engine is reached. The DSN's query parameters are
// clickhouse-go's (dial_timeout, compress=lz4, secure, ...) and, for any
// other name, ClickHouse settings sent with every query, such as
// distributed_foreground_insert=1 for a sink writing into a cluster.
//
// Nothing is dialed until the pool is first used; errors name no password.
// The pool is safe for concurrent use; Close it when done.
func Connect(dsn string) (driver.Conn, error) {
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("clickhouse dsn: %w", err)
	}
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse %v: %w", opts.Addr, err)
	}
	return conn, nil
}
