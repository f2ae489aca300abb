-- The aitdr ClickHouse schema, database aitdr, laid out for cluster 'aitdr':
-- migrations 0001_events to 0010_event_hours_workloads, printed by aitdr clickhouse ddl. Statements are
-- idempotent; aitdr provision applies the same through Migrate.

-- bootstrap: the database and the migrations table
CREATE DATABASE IF NOT EXISTS aitdr ON CLUSTER 'aitdr';

CREATE TABLE IF NOT EXISTS aitdr.schema_migrations ON CLUSTER 'aitdr' (
    version UInt32 COMMENT 'The migration version (the NNNN of NNNN_name.sql).',
    name String COMMENT 'The migration name.',
    checksum String COMMENT 'The hex SHA-256 of the migration file when it was applied.',
    applied_at DateTime64(3, 'UTC') COMMENT 'When it was applied.'
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/schema_migrations', '{replica}', applied_at)
ORDER BY version
COMMENT 'The schema migrations applied to this database (aitdr schemas/clickhouse).';

-- migration 0001_events (sha256 4121a2bfd119b6a6dbce1be86949d67bf428d5d1ceb23b77427bbb8a0bff4940)
-- events: one row per normalized audit event (schemas.Event), written by the
-- sink from the scored topic. Ordered by identity and time for per-identity
-- time queries; a redelivered event (same identity_id, time and event_id)
-- collapses on merge (ReplacingMergeTree): count exactly with FINAL.
CREATE TABLE IF NOT EXISTS aitdr.events_local ON CLUSTER 'aitdr'
(
    event_id String COMMENT 'The stable event id (schemas.EventID), the dedup key end to end; the id alerts name in evidence_event_ids.',
    schema_version UInt16 COMMENT 'The event schema version the event was written with.',
    time DateTime64(3, 'UTC') COMMENT 'When the action happened, as the source reports it (event time, UTC).',
    observed_time DateTime64(3, 'UTC') COMMENT 'When aitdr ingested the event (UTC); the version ReplacingMergeTree keeps the latest of.',
    product LowCardinality(String) COMMENT 'The source product: aws.cloudtrail, okta, entra, gcp.audit, github, k8s.audit, openai, anthropic, ai_gateway.',
    source_event_id String COMMENT 'The source''s own id of the record (CloudTrail eventID, Okta uuid); empty when it has none.',
    source_account LowCardinality(String) COMMENT 'The account the event was recorded in: AWS account id, Azure subscription, GitHub enterprise.',
    source_tenant LowCardinality(String) COMMENT 'The directory tenant: Entra tenant id, Okta org domain.',
    source_org LowCardinality(String) COMMENT 'The organization: AWS organization id, GCP organization, GitHub or OpenAI organization.',
    source_project LowCardinality(String) COMMENT 'The project or workspace: GCP project, OpenAI project, Anthropic workspace.',
    region LowCardinality(String) COMMENT 'The cloud region the event was recorded in.',
    identity_id String COMMENT 'The stable aitdr identity id, <provider>:<account>:<native id>; empty when the source names no principal.',
    identity_kind LowCardinality(String) COMMENT 'human, service, agent or unknown, as far as the source tells.',
    identity_provider LowCardinality(String) COMMENT 'The system that issued the identity: aws, okta, entra, gcp, github, kubernetes, openai, anthropic.',
    identity_account LowCardinality(String) COMMENT 'The account the identity belongs to; differs from source_account on cross-account access.',
    identity_account_type LowCardinality(String) COMMENT 'corporate or personal (shadow AI), or unknown.',
    identity_type LowCardinality(String) COMMENT 'The provider-native principal type: IAMUser, AssumedRole, User, ServiceAccount, App.',
    identity_uid String COMMENT 'The provider-native unique id: an ARN, an Okta or Entra object id.',
    identity_name String COMMENT 'The login or user name.',
    identity_display_name String COMMENT 'The human-readable name.',
    identity_email String COMMENT 'The e-mail address, when the source has one.',
    identity_owner String COMMENT 'The person responsible for a non-human identity, as the source names it (owner has the inventory''s).',
    credential_id String COMMENT 'The credential used: access key id, API key id or its redacted form, token id. Never the secret.',
    session_id String COMMENT 'The session id: Okta session id, STS session name, the token''s jti.',
    session_mfa Bool COMMENT 'True when the session was established with multi-factor authentication.',
    session_issued_at DateTime64(3, 'UTC') COMMENT 'When the session or its token was issued; 1970-01-01 when unknown.',
    session_credential_type LowCardinality(String) COMMENT 'password, sso, access_key, session_token, api_key, oauth_token, personal_access_token, workload_identity, certificate or unknown.',
    session_issuer String COMMENT 'Who issued the session: the role or user assumed from, or the identity provider of a federated login.',
    action_name LowCardinality(String) COMMENT 'The source''s own name of the action: InvokeModel, user.session.start, repo.create.',
    action_service LowCardinality(String) COMMENT 'The source''s service namespace, such as bedrock.amazonaws.com.',
    verb LowCardinality(String) COMMENT 'The normalized operation: create, read, update, delete, list, invoke, authenticate, assume, grant, revoke, enable, disable, export, other.',
    category LowCardinality(String) COMMENT 'The security-relevant class of the action: authentication, authorization, iam_change, data_access, model_inference, model_management, training_pipeline, secret_access, admin, logging_change, other.',
    target_type LowCardinality(String) COMMENT 'The lower-case type of the resource acted on: model, s3_bucket, iam_role, secret, repository, dataset, pipeline.',
    target_id String COMMENT 'The resource''s unique id, such as an ARN.',
    target_name String COMMENT 'The resource''s name.',
    target_environment LowCardinality(String) COMMENT 'The resource''s environment: prod, staging, dev, test, unknown.',
    target_sensitivity LowCardinality(String) COMMENT 'The classification of the resource''s data: public, internal, confidential, restricted, unknown.',
    target_tenant LowCardinality(String) COMMENT 'The account or tenant owning the resource; differs from identity_account on cross-tenant access.',
    outcome LowCardinality(String) COMMENT 'success, failure or unknown.',
    error_code LowCardinality(String) COMMENT 'The source''s error code of a failed action, such as AccessDenied.',
    error_message String COMMENT 'The source''s error message of a failed action.',
    source_ip String COMMENT 'The client address, IPv4 or IPv6, in canonical text form.',
    user_agent String COMMENT 'The client''s user agent.',
    asn UInt32 COMMENT 'The autonomous system number of source_ip; 0 when unknown.',
    as_org LowCardinality(String) COMMENT 'The organization of the autonomous system.',
    country LowCardinality(String) COMMENT 'The ISO 3166-1 alpha-2 country code of source_ip.',
    bytes_in Int64 COMMENT 'Bytes sent to the service (request, upload, prompt); 0 when unknown.',
    bytes_out Int64 COMMENT 'Bytes returned by the service (response, download); 0 when unknown.',
    records Int64 COMMENT 'Records, objects or rows touched; 0 when unknown.',
    tokens_in Int64 COMMENT 'Model input (prompt) tokens.',
    tokens_out Int64 COMMENT 'Model output (completion) tokens.',
    ai_provider LowCardinality(String) COMMENT 'The model provider: openai, anthropic, aws.bedrock, azure.openai, google.vertex.',
    ai_service LowCardinality(String) COMMENT 'The AI service or application: chatgpt, claude, bedrock, copilot, a gateway route.',
    ai_model LowCardinality(String) COMMENT 'The model id as the provider names it.',
    ai_tool LowCardinality(String) COMMENT 'The tool or function an agent called, when the event is a tool call.',
    prompt_length Int64 COMMENT 'The prompt length in characters.',
    prompt_tokens Int64 COMMENT 'The prompt length in tokens, when the source counts them.',
    prompt_hash String COMMENT 'The hex SHA-256 of the prompt text, to match repeated prompts without keeping them.',
    prompt_language LowCardinality(String) COMMENT 'The BCP 47 tag of the prompt''s natural language.',
    prompt_attachments Int32 COMMENT 'The number of files or images attached to the prompt.',
    prompt_text String COMMENT 'The prompt itself; empty unless prompt capture was explicitly enabled for the source.' CODEC(ZSTD(3)),
    findings Nested
    (
        type LowCardinality(String),
        count Int32,
        confidence Float64
    ) COMMENT 'Sensitive data found in the prompt or payload, one entry per data type (findings.type such as credit_card, findings.count occurrences, findings.confidence 0 to 1).',
    identity_class LowCardinality(String) COMMENT 'The identity''s class from the inventory: ai_user, ai_builder, ai_agent, human, service, unknown.',
    class_confidence Float64 COMMENT 'The classifier''s confidence in identity_class, from 0 to 1.',
    class_evidence Array(String) COMMENT 'Short reasons for identity_class.',
    owner String COMMENT 'The person responsible for the identity, from the inventory.',
    team LowCardinality(String) COMMENT 'The owning team, from the inventory.',
    peer_group LowCardinality(String) COMMENT 'The group the identity is compared with while it has no history of its own.',
    environment LowCardinality(String) COMMENT 'The environment the identity belongs to (from its account); a dev identity reaching prod shows as environment and target_environment differing.',
    data_sensitivity LowCardinality(String) COMMENT 'The sensitivity of the data the event touched, from the data catalog and the prompt findings.',
    ai_service_status LowCardinality(String) COMMENT 'sanctioned or shadow for events that used an AI service, empty otherwise.',
    registered Bool COMMENT 'True when the identity is on the customer''s assumed inventory (licence or registration list).',
    identity_first_seen DateTime64(3, 'UTC') COMMENT 'When aitdr first saw the identity; 1970-01-01 when unknown.',
    features_available Bool COMMENT 'True when the baseline stage computed features for the event.',
    learning Bool COMMENT 'True while the identity is in its learning period: peer features carry the comparison.',
    features_unavailable_reason LowCardinality(String) COMMENT 'Why features were not computed: no_identity, absurd_time, late_event.',
    features Map(LowCardinality(String), Float64) COMMENT 'The baseline features of the event by name as rules see them (rate_ratio.1h, tokens_z.5m, is_new_model, ...); booleans are 1, and a feature that is 0 or false is absent (features[''x''] reads 0).',
    labels Map(LowCardinality(String), String) COMMENT 'Deployment-provided tags of the event''s input, keys lower-case.',
    attributes Map(LowCardinality(String), String) COMMENT 'Source-specific extras under dotted keys named after the source, such as aws.request_id.',
    raw_format LowCardinality(String) COMMENT 'The format of raw: json, text, cef, syslog, binary.',
    raw String COMMENT 'The source record the event was normalized from, byte for byte.' CODEC(ZSTD(3)),
    INDEX event_id_bloom event_id TYPE bloom_filter(0.001) GRANULARITY 4,
    INDEX target_id_bloom target_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX action_name_set action_name TYPE set(1000) GRANULARITY 4,
    INDEX category_set category TYPE set(32) GRANULARITY 4,
    INDEX ai_model_set ai_model TYPE set(256) GRANULARITY 4
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', observed_time)
PARTITION BY toYYYYMMDD(time)
ORDER BY (identity_id, time, event_id)
-- Parts under 64 MiB (a few sink batches) are Compact, one file for every
-- column: inserts of this wide table cost a third of Wide parts' cost.
TTL toDateTime(time) + toIntervalDay(90)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, min_bytes_for_wide_part = 67108864
COMMENT 'One row per normalized audit event (schemas.Event); query with FINAL for exact counts after redeliveries.';

CREATE TABLE IF NOT EXISTS aitdr.events ON CLUSTER 'aitdr' AS aitdr.events_local ENGINE = Distributed('aitdr', 'aitdr', 'events_local', cityHash64(identity_id));

-- migration 0002_identities (sha256 e3cc82c9ad5b3debd0d220efd36378c6dc18aa843fd971098be07ca6187d085c)
-- identities: the identity inventory (schemas.Identity), one row per version
-- that the enrich stage publishes on the identity changelog; the latest
-- version (updated_at) of each identity_id survives merges: read with FINAL.
CREATE TABLE IF NOT EXISTS aitdr.identities_local ON CLUSTER 'aitdr'
(
    identity_id String COMMENT 'The stable aitdr identity id (events.identity_id).',
    kind LowCardinality(String) COMMENT 'human, service, agent or unknown.',
    class LowCardinality(String) COMMENT 'The class the classifier gave the identity: ai_user, ai_builder, ai_agent, human, service, unknown.',
    class_confidence Float64 COMMENT 'The classifier''s confidence in class, from 0 to 1.',
    class_evidence Array(String) COMMENT 'Short reasons for class.',
    providers Array(LowCardinality(String)) COMMENT 'The identity providers the identity was seen through.',
    accounts Nested
    (
        provider LowCardinality(String),
        id String,
        type LowCardinality(String)
    ) COMMENT 'The accounts the identity was seen with: accounts.provider, accounts.id, accounts.type (corporate, personal, unknown).',
    account_type LowCardinality(String) COMMENT 'personal when any account is personal, corporate when all are corporate, unknown otherwise.',
    display_name String COMMENT 'The human-readable name.',
    email String COMMENT 'The e-mail address.',
    owner String COMMENT 'The person responsible for the identity.',
    team LowCardinality(String) COMMENT 'The owning team.',
    peer_group LowCardinality(String) COMMENT 'The group the identity is compared with.',
    ai_services Nested
    (
        provider LowCardinality(String),
        service LowCardinality(String),
        status LowCardinality(String),
        models Array(LowCardinality(String)),
        first_seen DateTime64(3, 'UTC'),
        last_seen DateTime64(3, 'UTC'),
        events Int64
    ) COMMENT 'The AI services the identity used: ai_services.provider, .service, .status (sanctioned, shadow, unknown), .models, .first_seen, .last_seen, .events.',
    targets Nested
    (
        type LowCardinality(String),
        id String,
        environment LowCardinality(String),
        sensitivity LowCardinality(String),
        tenant LowCardinality(String),
        last_seen DateTime64(3, 'UTC'),
        events Int64
    ) COMMENT 'The resources the identity reached, most recent first, at most 100: targets.type, .id, .environment, .sensitivity, .tenant, .last_seen, .events.',
    targets_total Int64 COMMENT 'Distinct targets ever reached, which may exceed length(targets.id).',
    tenants Array(String) COMMENT 'The tenants and accounts the identity reached.',
    environments Array(LowCardinality(String)) COMMENT 'The environments the identity reached.',
    first_seen DateTime64(3, 'UTC') COMMENT 'The event time of the identity''s first event.',
    last_seen DateTime64(3, 'UTC') COMMENT 'The event time of the identity''s latest event.',
    events Int64 COMMENT 'Events seen.',
    failures Int64 COMMENT 'Events with outcome failure.',
    events_by_category Map(LowCardinality(String), Int64) COMMENT 'Events per action category.',
    shared_credential Bool COMMENT 'True when one of its credentials was used by several principals or from unrelated clients at once.',
    registered Bool COMMENT 'True when the identity is on the customer''s assumed inventory (licence or registration list).',
    updated_at DateTime64(3, 'UTC') COMMENT 'When the enrich stage published this version (the changelog record''s timestamp); the latest version wins.'
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', updated_at)
ORDER BY identity_id
SETTINGS index_granularity = 8192
COMMENT 'The identity inventory (schemas.Identity): the latest version per identity_id; read with FINAL.';

CREATE TABLE IF NOT EXISTS aitdr.identities ON CLUSTER 'aitdr' AS aitdr.identities_local ENGINE = Distributed('aitdr', 'aitdr', 'identities_local', cityHash64(identity_id));

-- migration 0003_alerts (sha256 8110141781f45949d0fa2e84d608a30e2a859ce7cf335f8ce16969045c1eb35d)
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

-- migration 0004_response_actions (sha256 5b6eacc2bc75b65c1ef75be5d9fcc20f1a7add47a6064f85272a3c7775ca7bd6)
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

-- migration 0005_permissions (sha256 6370456aa76c782fcb0632c8cdd0ff54e12a1e70c0b75232a72bcf4c44577980)
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

-- migration 0006_baseline_snapshots (sha256 a8bf0be8e471c4d292bb89cbf33a6bff89c7b035b4dc43d8fcf67400bbc42643)
-- baseline_snapshots: periodic snapshots of each identity's rolling baseline,
-- for analysts to see what "normal" was when an alert fired.
CREATE TABLE IF NOT EXISTS aitdr.baseline_snapshots_local ON CLUSTER 'aitdr'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(snapshot_time)
ORDER BY (identity_id, metric, horizon, snapshot_time)
TTL toDateTime(snapshot_time) + toIntervalDay(400)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1
COMMENT 'Snapshots of per-identity baselines.';

CREATE TABLE IF NOT EXISTS aitdr.baseline_snapshots ON CLUSTER 'aitdr' AS aitdr.baseline_snapshots_local ENGINE = Distributed('aitdr', 'aitdr', 'baseline_snapshots_local', cityHash64(identity_id));

-- migration 0007_identity_activity (sha256 366160a207f3ca78760551c98e25137cba37a788718e56c3b6f096a8746982fc)
-- identity_hourly_activity and identity_daily_volume: per-identity activity
-- rolled up from events by materialized views, for dashboards and for
-- comparing a day or an hour with the identity's own history. Rows of one
-- key are summed on merge: query with sum() grouped by what you need. The
-- daily roll-up is fed from the hourly one (a few rows per identity and
-- hour), not from every event.
CREATE TABLE IF NOT EXISTS aitdr.identity_hourly_activity_local ON CLUSTER 'aitdr'
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
ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(hour)
ORDER BY (identity_id, hour, category)
SETTINGS index_granularity = 8192
COMMENT 'Per-identity activity per hour and category, from events (identity_hourly_activity_mv); sum() the counters.';

CREATE TABLE IF NOT EXISTS aitdr.identity_hourly_activity ON CLUSTER 'aitdr' AS aitdr.identity_hourly_activity_local ENGINE = Distributed('aitdr', 'aitdr', 'identity_hourly_activity_local', cityHash64(identity_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS aitdr.identity_hourly_activity_mv ON CLUSTER 'aitdr'
TO aitdr.identity_hourly_activity_local
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
FROM aitdr.events_local
GROUP BY identity_id, hour, category
COMMENT 'Feeds identity_hourly_activity from events.';

CREATE TABLE IF NOT EXISTS aitdr.identity_daily_volume_local ON CLUSTER 'aitdr'
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
ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (identity_id, day)
SETTINGS index_granularity = 8192
COMMENT 'Per-identity data volume per day, from identity_hourly_activity (identity_daily_volume_mv); sum() the counters.';

CREATE TABLE IF NOT EXISTS aitdr.identity_daily_volume ON CLUSTER 'aitdr' AS aitdr.identity_daily_volume_local ENGINE = Distributed('aitdr', 'aitdr', 'identity_daily_volume_local', cityHash64(identity_id));

CREATE MATERIALIZED VIEW IF NOT EXISTS aitdr.identity_daily_volume_mv ON CLUSTER 'aitdr'
TO aitdr.identity_daily_volume_local
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
FROM aitdr.identity_hourly_activity_local
GROUP BY identity_id, day
COMMENT 'Feeds identity_daily_volume from identity_hourly_activity.';

-- migration 0008_response_times (sha256 3db01eec0f1dfbab7d07704669179a785be51d20ba5a784be8871148429231c4)
-- response_times: the responder's time to respond, one row per alert whose
-- containment finished: from the first evidence event's time to the moment
-- the last containment step of its playbook succeeded. Written again with
-- the same values when an alert is redelivered; read with FINAL.
CREATE TABLE IF NOT EXISTS aitdr.response_times_local ON CLUSTER 'aitdr'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', updated_at)
PARTITION BY toYYYYMM(alert_at)
ORDER BY alert_id
SETTINGS index_granularity = 8192
COMMENT 'Time to respond per contained alert, from the first evidence event to containment done; read with FINAL.';

CREATE TABLE IF NOT EXISTS aitdr.response_times ON CLUSTER 'aitdr' AS aitdr.response_times_local ENGINE = Distributed('aitdr', 'aitdr', 'response_times_local', cityHash64(identity_id));

-- migration 0009_rightsize (sha256 a1698cea4509c5ddf788315e2450b075b64d8f6d903291720368d9750d0da435)
-- permission_grants, for rightsizing: what each snapshot covers, how a
-- permission was written, its condition, access level and sensitive class.
-- The local table first, then (on a cluster) the Distributed one; on a
-- single server both statements name the same table.
ALTER TABLE aitdr.permission_grants_local ON CLUSTER 'aitdr' ADD COLUMN IF NOT EXISTS scope LowCardinality(String) COMMENT 'What the snapshot covers: aws:<account>, gcp:<resource>, kubernetes:<cluster>, okta:<org>, entra:<tenant>, github:<account>; each identity''s grants are those of its latest snapshot per scope.',
    ADD COLUMN IF NOT EXISTS granted_as String COMMENT 'The pattern as the policy writes it when it differs from permission: s3:Get*, NotAction iam:*, a Google Cloud role, a Kubernetes rule with wildcards; empty when the policy names the permission.',
    ADD COLUMN IF NOT EXISTS grant_condition String COMMENT 'The condition the grant is subject to: an IAM Condition block as JSON, an IAM condition expression; empty when unconditional.',
    ADD COLUMN IF NOT EXISTS access_level LowCardinality(String) COMMENT 'The access level of the permission: List, Read, Write, Permissions management or Tagging (from the AWS action catalog; the same terms for the other providers).',
    ADD COLUMN IF NOT EXISTS sensitive LowCardinality(String) COMMENT 'The permission''s sensitive class: iam_change, secret_access, data_deletion, model_deployment, logging_change; empty when not sensitive.';

ALTER TABLE aitdr.permission_grants_local ON CLUSTER 'aitdr' COMMENT COLUMN IF EXISTS permission 'The permission, expanded against the shipped catalogs (no wildcards): an AWS action (s3:GetObject), a Google Cloud permission (aiplatform.endpoints.predict), a Kubernetes resource and verb (secrets:get, deployments.apps:update), app:<id> for an Okta or Entra application, a GitHub scope or permission (scope:repo, contents:write).';

ALTER TABLE aitdr.permission_grants ON CLUSTER 'aitdr' ADD COLUMN IF NOT EXISTS scope LowCardinality(String) COMMENT 'What the snapshot covers: aws:<account>, gcp:<resource>, kubernetes:<cluster>, okta:<org>, entra:<tenant>, github:<account>; each identity''s grants are those of its latest snapshot per scope.',
    ADD COLUMN IF NOT EXISTS granted_as String COMMENT 'The pattern as the policy writes it when it differs from permission: s3:Get*, NotAction iam:*, a Google Cloud role, a Kubernetes rule with wildcards; empty when the policy names the permission.',
    ADD COLUMN IF NOT EXISTS grant_condition String COMMENT 'The condition the grant is subject to: an IAM Condition block as JSON, an IAM condition expression; empty when unconditional.',
    ADD COLUMN IF NOT EXISTS access_level LowCardinality(String) COMMENT 'The access level of the permission: List, Read, Write, Permissions management or Tagging (from the AWS action catalog; the same terms for the other providers).',
    ADD COLUMN IF NOT EXISTS sensitive LowCardinality(String) COMMENT 'The permission''s sensitive class: iam_change, secret_access, data_deletion, model_deployment, logging_change; empty when not sensitive.';

ALTER TABLE aitdr.permission_grants ON CLUSTER 'aitdr' COMMENT COLUMN IF EXISTS permission 'The permission, expanded against the shipped catalogs (no wildcards): an AWS action (s3:GetObject), a Google Cloud permission (aiplatform.endpoints.predict), a Kubernetes resource and verb (secrets:get, deployments.apps:update), app:<id> for an Okta or Entra application, a GitHub scope or permission (scope:repo, contents:write).';

-- rightsize_identities: one row per identity per rightsizing run (aitdr
-- rightsize report): granted against used permissions over the run's
-- window, what the recommendation removes, and whether the window is long
-- enough to trust it.
CREATE TABLE IF NOT EXISTS aitdr.rightsize_identities_local ON CLUSTER 'aitdr'
(
    run_time DateTime64(3, 'UTC') COMMENT 'When the run computed the row (the end of its usage window).',
    identity_id String COMMENT 'The identity (events.identity_id).',
    provider LowCardinality(String) COMMENT 'The provider of its grants: aws, gcp, kubernetes, okta, entra, github.',
    class LowCardinality(String) COMMENT 'Its class from the inventory: ai_agent, ai_builder, ai_user, human, service, unknown.',
    priority Int64 COMMENT 'The order recommendations are applied in: agents first, builders next, users last, then by what they remove.',
    granted Int64 COMMENT 'Distinct permissions granted in its latest snapshots.',
    used Int64 COMMENT 'Granted permissions used successfully in the window.',
    unused Int64 COMMENT 'Granted permissions not used in the window (granted - used).',
    unused_share Float64 COMMENT 'unused / granted, from 0 to 1.',
    sensitive_granted Int64 COMMENT 'Granted permissions of a sensitive class.',
    sensitive_unused Int64 COMMENT 'Sensitive permissions not used in the window.',
    removable Int64 COMMENT 'Permissions the recommendation removes: unused when the window is trusted, else 0.',
    used_not_granted Int64 COMMENT 'Permissions used successfully that no snapshot grants (granted elsewhere: resource policies, groups not exported).',
    events Int64 COMMENT 'Successful events of the identity in the window.',
    observed_days Float64 COMMENT 'Days from the later of the window start and the identity''s first event to the window end.',
    window_start DateTime64(3, 'UTC') COMMENT 'The start of the usage window.',
    trusted Bool COMMENT 'True when observed_days and events reach the run''s minimums: the recommendation can be applied.',
    untrusted_reason String COMMENT 'Why the window is too short to trust, when it is.',
    recommendation String COMMENT 'The least-privilege artefact: an AWS IAM policy (JSON), a Kubernetes Role (YAML), a Google Cloud custom role (YAML), or the assignments and scopes to remove.' CODEC(ZSTD(3))
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(run_time)
ORDER BY (identity_id, run_time)
SETTINGS index_granularity = 8192
COMMENT 'Permission rightsizing per identity and run: granted, used, unused, sensitive unused, removable (aitdr rightsize report).';

CREATE TABLE IF NOT EXISTS aitdr.rightsize_identities ON CLUSTER 'aitdr' AS aitdr.rightsize_identities_local ENGINE = Distributed('aitdr', 'aitdr', 'rightsize_identities_local', cityHash64(identity_id));

-- rightsize_permissions: one row per identity, permission and run: granted
-- or used, with its last use, how it is held and whether the
-- recommendation keeps it.
CREATE TABLE IF NOT EXISTS aitdr.rightsize_permissions_local ON CLUSTER 'aitdr'
(
    run_time DateTime64(3, 'UTC') COMMENT 'The run (rightsize_identities.run_time).',
    identity_id String COMMENT 'The identity (events.identity_id).',
    provider LowCardinality(String) COMMENT 'The provider of the permission.',
    permission String COMMENT 'The permission (permission_grants.permission).',
    granted Bool COMMENT 'True when a latest snapshot grants it.',
    used Bool COMMENT 'True when it was used successfully in the window.',
    uses Int64 COMMENT 'Successful events that used it in the window.',
    last_used DateTime64(3, 'UTC') COMMENT 'Its last successful use in the window; 1970-01-01 when unused.',
    sensitive LowCardinality(String) COMMENT 'Its sensitive class, or empty.',
    access_level LowCardinality(String) COMMENT 'Its access level.',
    kept Bool COMMENT 'True when the recommendation keeps it (granted and used).',
    granted_resources Array(String) COMMENT 'The resources the grants cover.',
    used_resources Array(String) COMMENT 'The resources the events show it used on, at most 20.',
    granted_via Array(String) COMMENT 'How the identity holds it: user, role, group, binding, token.',
    policies Array(String) COMMENT 'The policies, roles or assignments granting it: what to edit to remove it.'
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(run_time)
ORDER BY (identity_id, run_time, permission)
SETTINGS index_granularity = 8192
COMMENT 'Permission rightsizing per identity, permission and run: granted, used, last use, kept by the recommendation.';

CREATE TABLE IF NOT EXISTS aitdr.rightsize_permissions ON CLUSTER 'aitdr' AS aitdr.rightsize_permissions_local ENGINE = Distributed('aitdr', 'aitdr', 'rightsize_permissions_local', cityHash64(identity_id));

-- migration 0010_event_hours_workloads (sha256 c9888ddb8519db4f989c168857e5a80af9acd12fb6045c67a9013ffbe4fe946d)
-- events: two enrichments rules read that analysts could not query: whether
-- the event fell outside its person's working hours, and how many
-- workloads were running its credential at once. The local table first,
-- then (on a cluster) the Distributed one; on a single server both
-- statements name the same table. Rows written before stay false and 0.
ALTER TABLE aitdr.events_local ON CLUSTER 'aitdr' ADD COLUMN IF NOT EXISTS off_hours Bool COMMENT 'True when the event fell outside the working hours of the person whose own account made it (the directory''s hours and time zone, else enrich.working_hours); false for agents and services.' AFTER registered,
    ADD COLUMN IF NOT EXISTS credential_workloads Int32 COMMENT 'For a long-lived credential: the distinct workloads (source address and user agent) that ran it at once, overlapping for at least five minutes; 0 when not measured.' AFTER off_hours;

ALTER TABLE aitdr.events ON CLUSTER 'aitdr' ADD COLUMN IF NOT EXISTS off_hours Bool COMMENT 'True when the event fell outside the working hours of the person whose own account made it (the directory''s hours and time zone, else enrich.working_hours); false for agents and services.' AFTER registered,
    ADD COLUMN IF NOT EXISTS credential_workloads Int32 COMMENT 'For a long-lived credential: the distinct workloads (source address and user agent) that ran it at once, overlapping for at least five minutes; 0 when not measured.' AFTER off_hours;

-- record the migrations as applied, so that Migrate finds them
INSERT INTO aitdr.schema_migrations (version, name, checksum, applied_at) VALUES (1, 'events', '4121a2bfd119b6a6dbce1be86949d67bf428d5d1ceb23b77427bbb8a0bff4940', now64(3));
INSERT INTO aitdr.schema_migrations (version, name, checksum, applied_at) VALUES (2, 'identities', 'e3cc82c9ad5b3debd0d220efd36378c6dc18aa843fd971098be07ca6187d085c', now64(3));
INSERT INTO aitdr.schema_migrations (version, name, checksum, applied_at) VALUES (3, 'alerts', '8110141781f45949d0fa2e84d608a30e2a859ce7cf335f8ce16969045c1eb35d', now64(3));
INSERT INTO aitdr.schema_migrations (version, name, checksum, applied_at) VALUES (4, 'response_actions', '5b6eacc2bc75b65c1ef75be5d9fcc20f1a7add47a6064f85272a3c7775ca7bd6', now64(3));
INSERT INTO aitdr.schema_migrations (version, name, checksum, applied_at) VALUES (5, 'permissions', '6370456aa76c782fcb0632c8cdd0ff54e12a1e70c0b75232a72bcf4c44577980', now64(3));
INSERT INTO aitdr.schema_migrations (version, name, checksum, applied_at) VALUES (6, 'baseline_snapshots', 'a8bf0be8e471c4d292bb89cbf33a6bff89c7b035b4dc43d8fcf67400bbc42643', now64(3));
INSERT INTO aitdr.schema_migrations (version, name, checksum, applied_at) VALUES (7, 'identity_activity', '366160a207f3ca78760551c98e25137cba37a788718e56c3b6f096a8746982fc', now64(3));
INSERT INTO aitdr.schema_migrations (version, name, checksum, applied_at) VALUES (8, 'response_times', '3db01eec0f1dfbab7d07704669179a785be51d20ba5a784be8871148429231c4', now64(3));
INSERT INTO aitdr.schema_migrations (version, name, checksum, applied_at) VALUES (9, 'rightsize', 'a1698cea4509c5ddf788315e2450b075b64d8f6d903291720368d9750d0da435', now64(3));
INSERT INTO aitdr.schema_migrations (version, name, checksum, applied_at) VALUES (10, 'event_hours_workloads', 'c9888ddb8519db4f989c168857e5a80af9acd12fb6045c67a9013ffbe4fe946d', now64(3));
