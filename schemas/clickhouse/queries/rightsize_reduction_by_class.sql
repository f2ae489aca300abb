-- name: rightsize_reduction_by_class
-- question: How much of the attack surface would applying the trusted rightsizing recommendations remove, per class, for the AI identities and overall?
-- The latest run of aitdr rightsize report: per class, then ai (ai_agent, ai_builder, ai_user) and all, the permissions granted, used and unused, the sensitive ones, and the reduction: removable (unused permissions of identities observed long enough) over granted. The mission's measure is the ai row's reduction.
WITH
    latest AS (
        SELECT max(run_time) AS run
        FROM rightsize_identities
    ),
    runs AS (
        SELECT
            arrayJoin(arrayConcat([toString(class)], if(class IN ('ai_agent', 'ai_builder', 'ai_user'), ['ai'], []), ['all'])) AS scope,
            trusted AS is_trusted, granted AS n_granted, used AS n_used, unused AS n_unused,
            sensitive_granted AS n_sensitive_granted, sensitive_unused AS n_sensitive_unused, removable AS n_removable,
            if(trusted, sensitive_unused, 0) AS n_sensitive_removable
        FROM rightsize_identities FINAL
        WHERE run_time = (SELECT run FROM latest)
    )
SELECT
    scope,
    count() AS identities,
    countIf(is_trusted) AS trusted,
    sum(n_granted) AS granted,
    sum(n_used) AS used,
    sum(n_unused) AS unused,
    round(sum(n_unused) / sum(n_granted), 3) AS unused_share,
    sum(n_sensitive_granted) AS sensitive_granted,
    sum(n_sensitive_unused) AS sensitive_unused,
    sum(n_removable) AS removable,
    round(sum(n_removable) / sum(n_granted), 3) AS reduction,
    if(sum(n_sensitive_granted) = 0, 0, round(sum(n_sensitive_removable) / sum(n_sensitive_granted), 3)) AS sensitive_reduction
FROM runs
GROUP BY scope
ORDER BY indexOf(['ai_agent', 'ai_builder', 'ai_user', 'service', 'human', 'unknown', 'ai', 'all'], scope) = 0,
    indexOf(['ai_agent', 'ai_builder', 'ai_user', 'service', 'human', 'unknown', 'ai', 'all'], scope), scope
