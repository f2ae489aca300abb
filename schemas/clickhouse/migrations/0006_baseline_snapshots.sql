-- baseline_snapshots: periodic snapshots of each identity's rolling baseline,
-- for analysts to see what "normal" was when an alert fired.
CREATE TABLE IF NOT EXISTS {{table "baseline_snapshots"}}{{on}}
(
    identity_id String COMMENT 'The identity (events.identity_id).',
    snapshot_time DateTime64(3, 'UTC') COMMENT 'When the snapshot was taken.',
    peer_group LowCardinality(String) COMMENT 'The identity''s peer group at the time.',
    learning Bool COMMENT 'True while the identity was in its learning period.',
    metric LowCardinality(String) COMMENT 'The measure: rate, bytes, records, tokens, or category_rate.<category>.',
    horizon LowCardinality(String) COMMENT 'The window of the measure: 5m, 1h, 1d.',
    mean Float64 COMMENT 'The mean of the measure over the baseline.',
    variance Float64 COMMENT 'Its variance.',
    samples Int64 COMMENT 'The number of samples folded in.',
    hour_of_week Array(Float32) COMMENT 'The identity''s activity share per hour of the week (168 values, Monday 00:00 UTC first), relative to its busiest hour.'
)
ENGINE = {{engine "ReplacingMergeTree" ""}}
PARTITION BY toYYYYMM(snapshot_time)
ORDER BY (identity_id, metric, horizon, snapshot_time)
TTL toDateTime(snapshot_time) + toIntervalDay({{.SnapshotTTLDays}})
SETTINGS {{settings "ttl_only_drop_parts = 1"}}
COMMENT 'Snapshots of per-identity baselines.';

{{distributed "baseline_snapshots" "cityHash64(identity_id)"}}
