-- name: rightsize_identities
-- question: In what order should identities be rightsized (agents, builders, users), how much of what they were granted did they use, and is each recommendation trusted?
-- The latest run of aitdr rightsize report (rightsize_identities): granted and used permissions over its window, the unused share, sensitive permissions unused, and what the recommendation removes (0 when the identity was observed too few days or events to trust it). The recommendation column holds the artefact.
WITH latest AS (
    SELECT max(run_time) AS run
    FROM rightsize_identities
)
SELECT
    priority,
    identity_id,
    class,
    provider,
    granted,
    used,
    unused,
    unused_share,
    sensitive_unused,
    removable,
    events,
    observed_days,
    trusted,
    untrusted_reason,
    recommendation
FROM rightsize_identities FINAL
WHERE run_time = (SELECT run FROM latest)
ORDER BY priority
