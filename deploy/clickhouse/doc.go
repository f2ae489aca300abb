// Package clickhouse is aitdr's embedded ClickHouse: the ClickHouse engine
// in the aitdr process (chDB's libchdb.so, ClickHouse 26.7 as a library,
// loaded with purego on first use) behind ClickHouse's HTTP interface, so
// that the pipeline, analysts and dashboards use the same clickhouse-go
// code, SQL and tools as against a ClickHouse server, chosen by DSN alone.
//
// Nothing is fetched at run time: `make chdb` puts libchdb.so in
// .cache/chdb, and AITDR_CHDB_LIB (exported by the Makefile) or
// Config.Library points at it. Importing the package never loads it, so a
// binary built with it runs against a real ClickHouse where the library is
// absent; New and OpenEngine fail then with ErrNoLibrary.
//
// Engine is the engine alone (statements in, formatted output out, one at
// a time); Server puts the HTTP interface in front of it with users,
// limits and graceful shutdown. A process opens one Engine, on one data
// directory, at a time.
package clickhouse
