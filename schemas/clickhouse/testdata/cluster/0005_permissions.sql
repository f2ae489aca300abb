-- permission_grants: the permissions each identity holds, from policy
-- snapshots; re-importing a snapshot is idempotent (ReplacingMergeTree on the
-- whole key).
CREATE TABLE IF NOT EXISTS aitdr.permission_grants_local ON CLUSTER 'aitdr'
(
    snapshot_time DateTime64(3, 'UTC') COMMENT 'When the policy snapshot was taken.',
    identity_id String COMMENT 'The identity holding the permission (events.identity_id).',
    provider LowCardinality(String) COMMENT 'The provider of the permission: aws, gcp, entra, okta, github.',
    permission String COMMENT 'The permission as service:action, such as bedrock:InvokeModel; wildcards as granted (s3:*).',
    resource String COMMENT 'The resource the grant applies to; * for any.',
    granted_via String COMMENT 'How the identity holds it: the role, group or policy attachment.',
    policy String COMMENT 'The policy that grants it (name or ARN).'
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(snapshot_time)
ORDER BY (identity_id, snapshot_time, permission, resource, granted_via, policy)
SETTINGS index_granularity = 8192
COMMENT 'Permissions granted to identities, per policy snapshot.';

CREATE TABLE IF NOT EXISTS aitdr.permission_grants ON CLUSTER 'aitdr' AS aitdr.permission_grants_local ENGINE = Distributed('aitdr', 'aitdr', 'permission_grants_local', cityHash64(identity_id));

-- permission_usage: the permissions each identity used successfully, per day,
-- fed from events by the permission_usage_mv materialized view. Query with
-- sum(uses), min(first_used), max(last_used) grouped by what you need.
CREATE TABLE IF NOT EXISTS aitdr.permission_usage_local ON CLUSTER 'aitdr'
(
    identity_id String COMMENT 'The identity that used the permission (events.identity_id).',
    provider LowCardinality(String) COMMENT 'The identity''s provider (events.identity_provider).',
    permission String COMMENT 'service:action: the first label of the action''s service (bedrock of bedrock.amazonaws.com), or the product when the action has no service, then the action name (bedrock:InvokeModel).',
    day Date COMMENT 'The day of use (event time, UTC).',
    uses SimpleAggregateFunction(sum, UInt64) COMMENT 'Successful events using the permission that day.',
    first_used SimpleAggregateFunction(min, DateTime64(3, 'UTC')) COMMENT 'The first use that day.',
    last_used SimpleAggregateFunction(max, DateTime64(3, 'UTC')) COMMENT 'The last use that day.'
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (identity_id, provider, permission, day)
SETTINGS index_granularity = 8192
COMMENT 'Permissions used successfully per identity and day, from events (permission_usage_mv).';

CREATE TABLE IF NOT EXISTS aitdr.permission_usage ON CLUSTER 'aitdr' AS aitdr.permission_usage_local ENGINE = Distributed('aitdr', 'aitdr', 'permission_usage_local', cityHash64(identity_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS aitdr.permission_usage_mv ON CLUSTER 'aitdr'
TO aitdr.permission_usage_local
AS SELECT
    identity_id,
    identity_provider AS provider,
    -- On the LowCardinality dictionaries, not on every row.
    concat(if(action_service = '', toString(product), splitByChar('.', action_service)[1]), ':', action_name) AS permission,
    toDate(time) AS day,
    toUInt64(count()) AS uses,
    min(time) AS first_used,
    max(time) AS last_used
FROM aitdr.events_local
WHERE identity_id != '' AND outcome = 'success' AND action_name != ''
GROUP BY identity_id, provider, permission, day
COMMENT 'Feeds permission_usage from events.';
