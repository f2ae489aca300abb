-- response_times: the responder's time to respond, one row per alert whose
-- containment finished: from the first evidence event's time to the moment
-- the last containment step of its playbook succeeded. Written again with
-- the same values when an alert is redelivered; read with FINAL.
CREATE TABLE IF NOT EXISTS aitdr.response_times
(
    alert_id String COMMENT 'The alert contained (alerts.alert_id).',
    rule_id LowCardinality(String) COMMENT 'The rule that raised the alert.',
    identity_id String COMMENT 'The identity contained (events.identity_id).',
    identity_class LowCardinality(String) COMMENT 'Its class: ai_user, ai_builder, ai_agent, human, service, unknown.',
    severity LowCardinality(String) COMMENT 'The alert severity: info, low, medium, high or critical.',
    playbook LowCardinality(String) COMMENT 'The id of the playbook that contained it.',
    dry_run Bool COMMENT 'True when the containment steps only reported what they would do.',
    approved Bool COMMENT 'True when a containment step waited for a human approval.',
    first_evidence_at DateTime64(3, 'UTC') COMMENT 'The event time of the alert''s earliest evidence event.',
    alert_at DateTime64(3, 'UTC') COMMENT 'When the alert was created.',
    contained_at DateTime64(3, 'UTC') COMMENT 'When the last containment step succeeded.',
    time_to_respond_ms Int64 COMMENT 'From first_evidence_at to contained_at, in milliseconds.',
    actions Int64 COMMENT 'The containment steps that succeeded.',
    updated_at DateTime64(3, 'UTC') COMMENT 'When this version was written; the latest version wins.'
)
ENGINE = ReplacingMergeTree(updated_at)
PARTITION BY toYYYYMM(alert_at)
ORDER BY alert_id
SETTINGS index_granularity = 8192, non_replicated_deduplication_window = 1000
COMMENT 'Time to respond per contained alert, from the first evidence event to containment done; read with FINAL.';
