-- alerts: one row per version of an alert (the OCSF Detection Finding on the
-- alerts topic, with its aitdr extension), the latest version (updated_at) of
-- each alert_id surviving merges. Partitioned by the alert's creation time,
-- which every version of an alert shares, so that versions meet on merge.
CREATE TABLE IF NOT EXISTS aitdr.alerts_local ON CLUSTER 'aitdr'
(
    alert_id String COMMENT 'The alert id (finding_info.uid), stable for one rule firing on one set of evidence.',
    time DateTime64(3, 'UTC') COMMENT 'When the alert was created (finding_info.created_time), the same for every version.',
    updated_at DateTime64(3, 'UTC') COMMENT 'When this version was created or last changed (OCSF time); the latest version wins.',
    activity LowCardinality(String) COMMENT 'Create when the rule fired, Update when evidence was added, Close when resolved.',
    rule_id LowCardinality(String) COMMENT 'The id of the rule that fired.',
    rule_name LowCardinality(String) COMMENT 'The rule''s name.',
    rule_version LowCardinality(String) COMMENT 'The rule''s version.',
    analytic_type LowCardinality(String) COMMENT 'Rule (single-event match), Behavioral (baseline anomaly), Statistical (threshold) or Unknown.',
    title String COMMENT 'The rule''s title.',
    description String COMMENT 'The description of this finding.',
    message String COMMENT 'A one-line summary.',
    finding_types Array(LowCardinality(String)) COMMENT 'The finding types: the rule''s kind and tags.',
    severity LowCardinality(String) COMMENT 'Informational, Low, Medium, High, Critical or Fatal.',
    severity_id UInt8 COMMENT 'The OCSF severity id: 1 Informational to 5 Critical, 6 Fatal.',
    status LowCardinality(String) COMMENT 'New, In Progress, Suppressed, Resolved or Archived.',
    status_id UInt8 COMMENT 'The OCSF status id: 1 New, 2 In Progress, 3 Suppressed, 4 Resolved, 5 Archived.',
    confidence_score UInt8 COMMENT 'The rule''s confidence, 0 to 100.',
    risk_level LowCardinality(String) COMMENT 'Info, Low, Medium, High or Critical, from the severity.',
    risk_score UInt8 COMMENT 'The rule''s risk score, 0 to 100.',
    start_time DateTime64(3, 'UTC') COMMENT 'The event time of the earliest evidence event.',
    end_time DateTime64(3, 'UTC') COMMENT 'The event time of the latest evidence event.',
    evidence_count UInt32 COMMENT 'The number of evidence events.',
    identity_id String COMMENT 'The identity the alert is about (events.identity_id).',
    identity_class LowCardinality(String) COMMENT 'Its class: ai_user, ai_builder, ai_agent, human, service, unknown.',
    identity_kind LowCardinality(String) COMMENT 'human, service, agent or unknown.',
    identity_owner String COMMENT 'The person responsible for the identity.',
    identity_team LowCardinality(String) COMMENT 'The owning team.',
    identity_account_type LowCardinality(String) COMMENT 'corporate or personal.',
    correlation_id String COMMENT '<rule id>/<identity id>: groups the repeated alerts of a rule for an identity.',
    atlas_techniques Array(LowCardinality(String)) COMMENT 'The MITRE ATLAS technique ids of the rule, such as AML.T0034.',
    attack_techniques Array(LowCardinality(String)) COMMENT 'The MITRE ATT&CK technique ids of the rule, such as T1078.004.',
    tactics Array(LowCardinality(String)) COMMENT 'The ATLAS and ATT&CK tactic ids of the rule''s techniques.',
    evidence_event_ids Array(String) COMMENT 'The ids of the evidence events, oldest first (events.event_id).',
    data_sources Array(LowCardinality(String)) COMMENT 'The source products of the evidence events.',
    resources Array(String) COMMENT 'The ids of the resources the evidence events targeted.',
    cloud_provider LowCardinality(String) COMMENT 'AWS, GCP or Azure for cloud sources.',
    cloud_region LowCardinality(String) COMMENT 'The cloud region of the first evidence event.',
    cloud_account LowCardinality(String) COMMENT 'The cloud account of the first evidence event.',
    baselines Nested
    (
        feature LowCardinality(String),
        observed Float64,
        baseline Float64,
        ratio Float64
    ) COMMENT 'The baseline features the evidence broke: baselines.feature (tokens_ratio.5m), .observed, .baseline (the identity''s normal value), .ratio.',
    response Nested
    (
        action LowCardinality(String),
        target String,
        status LowCardinality(String),
        time DateTime64(3, 'UTC'),
        detail String
    ) COMMENT 'The containment actions: response.action (disable_account, revoke_sessions, revoke_keys, notify_owner, notify_soc), .target, .status (recommended, pending, succeeded, failed), .time, .detail.',
    remediation String COMMENT 'The recommended containment, for humans.',
    finding String COMMENT 'The whole OCSF Detection Finding as JSON, as published.' CODEC(ZSTD(3)),
    INDEX identity_id_bloom identity_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX rule_id_set rule_id TYPE set(1000) GRANULARITY 1
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', updated_at)
PARTITION BY toYYYYMM(time)
ORDER BY alert_id
SETTINGS index_granularity = 8192
COMMENT 'Alerts (OCSF Detection Findings with the aitdr extension): the latest version per alert_id; read with FINAL.';

CREATE TABLE IF NOT EXISTS aitdr.alerts ON CLUSTER 'aitdr' AS aitdr.alerts_local ENGINE = Distributed('aitdr', 'aitdr', 'alerts_local', cityHash64(identity_id));

-- alert_dispositions: the analysts' verdicts on alerts, kept apart from the
-- alerts so that a later version of an alert never overwrites a verdict.
CREATE TABLE IF NOT EXISTS aitdr.alert_dispositions_local ON CLUSTER 'aitdr'
(
    alert_id String COMMENT 'The alert judged (alerts.alert_id).',
    disposition LowCardinality(String) COMMENT 'true_positive, false_positive or benign (a true detection of allowed behaviour).',
    analyst String COMMENT 'Who judged it.',
    note String COMMENT 'The analyst''s note.',
    time DateTime64(3, 'UTC') COMMENT 'When it was judged; the latest verdict per alert wins.'
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', time)
ORDER BY alert_id
SETTINGS index_granularity = 8192
COMMENT 'Analyst verdicts on alerts, the latest per alert_id; read with FINAL.';

CREATE TABLE IF NOT EXISTS aitdr.alert_dispositions ON CLUSTER 'aitdr' AS aitdr.alert_dispositions_local ENGINE = Distributed('aitdr', 'aitdr', 'alert_dispositions_local', cityHash64(alert_id));
