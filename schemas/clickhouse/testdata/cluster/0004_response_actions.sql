-- response_actions: the containment actions the responder requested and
-- ran, one row per version (requested, then succeeded or failed); the latest
-- version (updated_at) of each action_id survives merges: read with FINAL.
CREATE TABLE IF NOT EXISTS aitdr.response_actions_local ON CLUSTER 'aitdr'
(
    action_id String COMMENT 'The id of the action.',
    alert_id String COMMENT 'The alert the action answers (alerts.alert_id).',
    identity_id String COMMENT 'The identity acted on (events.identity_id).',
    connector LowCardinality(String) COMMENT 'The connector that ran it: aws, okta, entra, github, webhook.',
    action LowCardinality(String) COMMENT 'disable_account, revoke_sessions, revoke_keys, notify_owner or notify_soc.',
    target String COMMENT 'What it was done to: the identity, a key or a session id.',
    status LowCardinality(String) COMMENT 'recommended, pending, succeeded or failed.',
    dry_run Bool COMMENT 'True when the connector only reported what it would do.',
    requested_at DateTime64(3, 'UTC') COMMENT 'When the action was requested.',
    completed_at DateTime64(3, 'UTC') COMMENT 'When it succeeded or failed; 1970-01-01 while pending.',
    duration_ms Int64 COMMENT 'From request to completion, in milliseconds.',
    error String COMMENT 'The error of a failed action.',
    rollback_of String COMMENT 'The action_id this action undoes, when it is a rollback.',
    approver String COMMENT 'Who approved the action, when approval was required.',
    updated_at DateTime64(3, 'UTC') COMMENT 'When this version was written; the latest version wins.'
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', updated_at)
PARTITION BY toYYYYMM(requested_at)
ORDER BY action_id
SETTINGS index_granularity = 8192
COMMENT 'Containment actions requested and run by the responder, the latest version per action_id; read with FINAL.';

CREATE TABLE IF NOT EXISTS aitdr.response_actions ON CLUSTER 'aitdr' AS aitdr.response_actions_local ENGINE = Distributed('aitdr', 'aitdr', 'response_actions_local', cityHash64(identity_id));
