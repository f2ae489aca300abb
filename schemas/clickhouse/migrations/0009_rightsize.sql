-- permission_grants, for rightsizing: what each snapshot covers, how a
-- permission was written, its condition, access level and sensitive class.
-- The local table first, then (on a cluster) the Distributed one; on a
-- single server both statements name the same table.
ALTER TABLE {{table "permission_grants"}}{{on}} ADD COLUMN IF NOT EXISTS scope LowCardinality(String) COMMENT 'What the snapshot covers: aws:<account>, gcp:<resource>, kubernetes:<cluster>, okta:<org>, entra:<tenant>, github:<account>; each identity''s grants are those of its latest snapshot per scope.',
    ADD COLUMN IF NOT EXISTS granted_as String COMMENT 'The pattern as the policy writes it when it differs from permission: s3:Get*, NotAction iam:*, a Google Cloud role, a Kubernetes rule with wildcards; empty when the policy names the permission.',
    ADD COLUMN IF NOT EXISTS grant_condition String COMMENT 'The condition the grant is subject to: an IAM Condition block as JSON, an IAM condition expression; empty when unconditional.',
    ADD COLUMN IF NOT EXISTS access_level LowCardinality(String) COMMENT 'The access level of the permission: List, Read, Write, Permissions management or Tagging (from the AWS action catalog; the same terms for the other providers).',
    ADD COLUMN IF NOT EXISTS sensitive LowCardinality(String) COMMENT 'The permission''s sensitive class: iam_change, secret_access, data_deletion, model_deployment, logging_change; empty when not sensitive.';

ALTER TABLE {{table "permission_grants"}}{{on}} COMMENT COLUMN IF EXISTS permission 'The permission, expanded against the shipped catalogs (no wildcards): an AWS action (s3:GetObject), a Google Cloud permission (aiplatform.endpoints.predict), a Kubernetes resource and verb (secrets:get, deployments.apps:update), app:<id> for an Okta or Entra application, a GitHub scope or permission (scope:repo, contents:write).';

ALTER TABLE {{db}}.permission_grants{{on}} ADD COLUMN IF NOT EXISTS scope LowCardinality(String) COMMENT 'What the snapshot covers: aws:<account>, gcp:<resource>, kubernetes:<cluster>, okta:<org>, entra:<tenant>, github:<account>; each identity''s grants are those of its latest snapshot per scope.',
    ADD COLUMN IF NOT EXISTS granted_as String COMMENT 'The pattern as the policy writes it when it differs from permission: s3:Get*, NotAction iam:*, a Google Cloud role, a Kubernetes rule with wildcards; empty when the policy names the permission.',
    ADD COLUMN IF NOT EXISTS grant_condition String COMMENT 'The condition the grant is subject to: an IAM Condition block as JSON, an IAM condition expression; empty when unconditional.',
    ADD COLUMN IF NOT EXISTS access_level LowCardinality(String) COMMENT 'The access level of the permission: List, Read, Write, Permissions management or Tagging (from the AWS action catalog; the same terms for the other providers).',
    ADD COLUMN IF NOT EXISTS sensitive LowCardinality(String) COMMENT 'The permission''s sensitive class: iam_change, secret_access, data_deletion, model_deployment, logging_change; empty when not sensitive.';

ALTER TABLE {{db}}.permission_grants{{on}} COMMENT COLUMN IF EXISTS permission 'The permission, expanded against the shipped catalogs (no wildcards): an AWS action (s3:GetObject), a Google Cloud permission (aiplatform.endpoints.predict), a Kubernetes resource and verb (secrets:get, deployments.apps:update), app:<id> for an Okta or Entra application, a GitHub scope or permission (scope:repo, contents:write).';

-- rightsize_identities: one row per identity per rightsizing run (aitdr
-- rightsize report): granted against used permissions over the run's
-- window, what the recommendation removes, and whether the window is long
-- enough to trust it.
CREATE TABLE IF NOT EXISTS {{table "rightsize_identities"}}{{on}}
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
ENGINE = {{engine "ReplacingMergeTree" ""}}
PARTITION BY toYYYYMM(run_time)
ORDER BY (identity_id, run_time)
SETTINGS {{settings}}
COMMENT 'Permission rightsizing per identity and run: granted, used, unused, sensitive unused, removable (aitdr rightsize report).';

{{distributed "rightsize_identities" "cityHash64(identity_id)"}}

-- rightsize_permissions: one row per identity, permission and run: granted
-- or used, with its last use, how it is held and whether the
-- recommendation keeps it.
CREATE TABLE IF NOT EXISTS {{table "rightsize_permissions"}}{{on}}
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
ENGINE = {{engine "ReplacingMergeTree" ""}}
PARTITION BY toYYYYMM(run_time)
ORDER BY (identity_id, run_time, permission)
SETTINGS {{settings}}
COMMENT 'Permission rightsizing per identity, permission and run: granted, used, last use, kept by the recommendation.';

{{distributed "rightsize_permissions" "cityHash64(identity_id)"}}
