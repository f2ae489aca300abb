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
