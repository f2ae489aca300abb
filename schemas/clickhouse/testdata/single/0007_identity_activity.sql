-- identity_hourly_activity and identity_daily_volume: per-identity activity
-- rolled up from events by materialized views, for dashboards and for
-- comparing a day or an hour with the identity's own history. Rows of one
-- key are summed on merge: query with sum() grouped by what you need. The
-- daily roll-up is fed from the hourly one (a few rows per identity and
-- hour), not from every event.
CREATE TABLE IF NOT EXISTS aitdr.identity_hourly_activity
(
    identity_id String COMMENT 'The identity (events.identity_id).',
    hour DateTime('UTC') COMMENT 'The hour (event time, UTC).',
    category LowCardinality(String) COMMENT 'The action category (events.category).',
    events UInt64 COMMENT 'Events.',
    failures UInt64 COMMENT 'Events with outcome failure.',
    ai_events UInt64 COMMENT 'Events that used an AI service or model.',
    bytes_in Int64 COMMENT 'Bytes sent to services.',
    bytes_out Int64 COMMENT 'Bytes returned by services.',
    records Int64 COMMENT 'Records touched.',
    tokens_in Int64 COMMENT 'Model input tokens.',
    tokens_out Int64 COMMENT 'Model output tokens.',
    sensitive_findings Int64 COMMENT 'Occurrences of sensitive data found in prompts and payloads.'
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (identity_id, hour, category)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000
COMMENT 'Per-identity activity per hour and category, from events (identity_hourly_activity_mv); sum() the counters.';

CREATE MATERIALIZED VIEW IF NOT EXISTS aitdr.identity_hourly_activity_mv
TO aitdr.identity_hourly_activity
AS SELECT
    identity_id,
    toStartOfHour(time) AS hour,
    category,
    toUInt64(count()) AS events,
    toUInt64(countIf(outcome = 'failure')) AS failures,
    toUInt64(countIf(ai_service != '' OR ai_model != '')) AS ai_events,
    sum(bytes_in) AS bytes_in,
    sum(bytes_out) AS bytes_out,
    sum(records) AS records,
    sum(tokens_in) AS tokens_in,
    sum(tokens_out) AS tokens_out,
    toInt64(sum(arraySum(findings.count))) AS sensitive_findings
FROM aitdr.events
GROUP BY identity_id, hour, category
COMMENT 'Feeds identity_hourly_activity from events.';

CREATE TABLE IF NOT EXISTS aitdr.identity_daily_volume
(
    identity_id String COMMENT 'The identity (events.identity_id).',
    day Date COMMENT 'The day (event time, UTC).',
    events UInt64 COMMENT 'Events.',
    failures UInt64 COMMENT 'Events with outcome failure.',
    ai_events UInt64 COMMENT 'Events that used an AI service or model.',
    bytes_in Int64 COMMENT 'Bytes sent to services.',
    bytes_out Int64 COMMENT 'Bytes returned by services.',
    records Int64 COMMENT 'Records touched.',
    tokens_in Int64 COMMENT 'Model input tokens.',
    tokens_out Int64 COMMENT 'Model output tokens.',
    sensitive_findings Int64 COMMENT 'Occurrences of sensitive data found in prompts and payloads.'
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (identity_id, day)
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000
COMMENT 'Per-identity data volume per day, from identity_hourly_activity (identity_daily_volume_mv); sum() the counters.';

CREATE MATERIALIZED VIEW IF NOT EXISTS aitdr.identity_daily_volume_mv
TO aitdr.identity_daily_volume
AS SELECT
    identity_id,
    toDate(hour) AS day,
    sum(events) AS events,
    sum(failures) AS failures,
    sum(ai_events) AS ai_events,
    sum(bytes_in) AS bytes_in,
    sum(bytes_out) AS bytes_out,
    sum(records) AS records,
    sum(tokens_in) AS tokens_in,
    sum(tokens_out) AS tokens_out,
    sum(sensitive_findings) AS sensitive_findings
FROM aitdr.identity_hourly_activity
GROUP BY identity_id, day
COMMENT 'Feeds identity_daily_volume from identity_hourly_activity.';
