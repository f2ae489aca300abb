-- name: permission_excess
-- question: Which identities, agents first, hold permissions they do not use, and how many distinct actions do they perform against what they were granted?
-- param: days UInt32 = 90; the usage window, in days back from today
-- A grant is used when a used permission matches it, * in the grant matching anything (s3:* covers s3:GetObject). Grants are those of each identity's latest snapshot.
WITH
    latest AS (
        SELECT identity_id, max(snapshot_time) AS snap
        FROM permission_grants
        GROUP BY identity_id
    ),
    grants AS (
        SELECT DISTINCT g.identity_id AS identity_id, g.permission AS permission
        FROM permission_grants AS g
        INNER JOIN latest AS l ON g.identity_id = l.identity_id AND g.snapshot_time = l.snap
    ),
    used AS (
        SELECT identity_id, permission, sum(uses) AS uses
        FROM permission_usage
        WHERE day >= today() - toIntervalDay({days:UInt32})
        GROUP BY identity_id, permission
    ),
    matched AS (
        SELECT
            g.identity_id AS identity_id,
            g.permission AS permission,
            countIf(u.permission != '' AND like(u.permission, replaceAll(replaceAll(g.permission, '_', '\\_'), '*', '%'))) > 0 AS is_used
        FROM grants AS g
        LEFT JOIN used AS u ON g.identity_id = u.identity_id
        GROUP BY identity_id, permission
    ),
    per_identity AS (
        SELECT
            identity_id,
            count() AS granted,
            countIf(is_used) AS used_grants,
            arraySort(groupArrayIf(permission, NOT is_used)) AS unused_permissions
        FROM matched
        GROUP BY identity_id
    ),
    actions AS (
        SELECT identity_id, uniqExact(permission) AS distinct_actions
        FROM used
        GROUP BY identity_id
    ),
    inventory AS (
        SELECT identity_id, kind, class
        FROM identities FINAL
    )
SELECT
    p.identity_id AS identity_id,
    i.kind AS kind,
    i.class AS class,
    p.granted AS granted,
    p.used_grants AS used_grants,
    p.granted - p.used_grants AS unused_grants,
    round((p.granted - p.used_grants) / p.granted, 3) AS unused_share,
    a.distinct_actions AS distinct_actions,
    p.unused_permissions AS unused_permissions
FROM per_identity AS p
LEFT JOIN actions AS a ON p.identity_id = a.identity_id
LEFT JOIN inventory AS i ON p.identity_id = i.identity_id
ORDER BY (i.kind = 'agent' OR i.class = 'ai_agent') DESC, unused_share DESC, distinct_actions DESC, identity_id
