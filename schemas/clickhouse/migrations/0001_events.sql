-- events: one row per normalized audit event (schemas.Event), written by the
-- sink from the scored topic. Ordered by identity and time for per-identity
-- time queries; a redelivered event (same identity_id, time and event_id)
-- collapses on merge (ReplacingMergeTree): count exactly with FINAL.
CREATE TABLE IF NOT EXISTS {{table "events"}}{{on}}
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
ENGINE = {{engine "ReplacingMergeTree" "observed_time"}}
PARTITION BY toYYYYMMDD(time)
ORDER BY (identity_id, time, event_id)
-- Parts under 64 MiB (a few sink batches) are Compact, one file for every
-- column: inserts of this wide table cost a third of Wide parts' cost.
TTL toDateTime(time) + toIntervalDay({{.EventTTLDays}})
SETTINGS {{settings "ttl_only_drop_parts = 1" "min_bytes_for_wide_part = 67108864"}}
COMMENT 'One row per normalized audit event (schemas.Event); query with FINAL for exact counts after redeliveries.';

{{distributed "events" "cityHash64(identity_id)"}}
