// Package clickhouse is aitdr's contract with ClickHouse: the schema, its
// migrations, the typed writers of its tables, and the sink stage that writes
// the pipeline's topics into it. The same code runs against the embedded
// engine (deploy/clickhouse, over the HTTP interface), a ClickHouse server
// and a ClickHouse cluster, chosen by DSN (Connect) and Options alone.
//
// # Schema
//
// Migrate applies the migrations embedded from migrations/NNNN_name.sql in
// order and records them in schema_migrations; every statement is
// idempotent, so processes may migrate one database concurrently. The
// migrations are Go templates rendered for a single server (MergeTree
// tables) or, with Options.Cluster, for a cluster (ON CLUSTER, Replicated
// tables <t>_local behind Distributed tables <t> sharded by identity).
// testdata/single and testdata/cluster hold them rendered, for review.
//
// The tables (every column carries a COMMENT; DESCRIBE TABLE shows them):
//
//   - events: one row per schemas.Event, ReplacingMergeTree on
//     (identity_id, time, event_id), partitioned by day, with a TTL.
//   - identities: the inventory (schemas.Identity), latest version per id.
//   - alerts: OCSF Detection Findings with the aitdr extension, latest
//     version per alert id; alert_dispositions: the analysts' verdicts.
//   - response_actions, response_times, permission_grants,
//     baseline_snapshots, rightsize_identities, rightsize_permissions:
//     written by other stages and commands with Insert.
//   - permission_usage, identity_hourly_activity, identity_daily_volume:
//     roll-ups fed by materialized views.
//
// Rows redelivered after a crash collapse on merge: exact counts of events,
// identities, alerts and actions use FINAL (or uniqExact of the id). The
// roll-ups count such redeliveries twice; they are for dashboards and
// baselines, not for exact counts.
//
// # Writing
//
// Each written table is one declarative list of columns (name, ClickHouse
// type, accessor from the Go value); a batch keeps one typed slice per
// column and hands it whole to clickhouse-go (batch.Column(i).Append). A
// test checks each list against DESCRIBE TABLE on the embedded engine.
//
// Sink is the stream.Processor and stream.Flusher of the sink stage: see its
// documentation for deduplication, retries and dead letters.
package clickhouse
