-- name: broad_permission_agents
-- question: Which AI agents hold broad permissions: a wildcard grant, or a share of unused grants at or above a threshold over the usage window?
-- param: since DateTime64(3,'UTC') = 1970-01-01 00:00:00; the start of the usage window and of the activity that makes an identity observed (UTC); the default takes all time
-- param: min_unused_share Float64 = 0.8; the share of unused grants, from 0 to 1, that makes an agent's permissions broad
-- Grants are those of each identity's latest permission_grants snapshot; a grant is used when a permission used in the window (permission_usage) matches it, * matching anything. A wildcard grant has * in its permission (s3:*, *). Empty when no snapshot was imported.
WITH
    snapshots AS (
        SELECT identity_id, snapshot_time, groupUniqArray(permission) AS permissions
        FROM permission_grants
        GROUP BY identity_id, snapshot_time
    ),
    -- The latest snapshot's grants, without joining the (on a cluster,
    -- Distributed) table to itself.
    grants AS (
        SELECT identity_id, arrayJoin(argMax(permissions, snapshot_time)) AS permission
        FROM snapshots
        GROUP BY identity_id
    ),
    used AS (
        SELECT identity_id, permission
        FROM permission_usage
        WHERE day >= toDate({since:DateTime64(3,'UTC')})
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
            arraySort(groupArrayIf(permission, position(permission, '*') > 0)) AS wildcard_grants,
            arraySort(groupArrayIf(permission, NOT is_used)) AS unused_permissions
        FROM matched
        GROUP BY identity_id
    ),
    inventory AS (
        SELECT identity_id, class
        FROM identities FINAL
        WHERE last_seen >= {since:DateTime64(3,'UTC')}
    ),
    seen AS (
        SELECT identity_id, argMaxIf(toString(identity_class), time, identity_class NOT IN ('', 'unknown')) AS event_class
        FROM events FINAL
        WHERE identity_id != '' AND time >= {since:DateTime64(3,'UTC')}
        GROUP BY identity_id
    ),
    observed AS (
        SELECT
            if(i.identity_id != '', i.identity_id, s.identity_id) AS identity_id,
            multiIf(i.class NOT IN ('', 'unknown'), toString(i.class), s.event_class != '', s.event_class, 'unknown') AS class
        FROM inventory AS i
        FULL OUTER JOIN seen AS s ON i.identity_id = s.identity_id
    )
SELECT
    p.identity_id AS identity_id,
    o.class AS class,
    p.granted AS granted,
    p.used_grants AS used_grants,
    round((p.granted - p.used_grants) / p.granted, 3) AS unused_share,
    p.wildcard_grants AS wildcard_grants,
    p.unused_permissions AS unused_permissions
FROM per_identity AS p
INNER JOIN observed AS o ON p.identity_id = o.identity_id
WHERE o.class = 'ai_agent'
  AND (notEmpty(p.wildcard_grants) OR (p.granted - p.used_grants) / p.granted >= {min_unused_share:Float64})
ORDER BY unused_share DESC, granted DESC, identity_id
