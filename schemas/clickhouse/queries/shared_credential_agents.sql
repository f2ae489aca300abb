-- name: shared_credential_agents
-- question: Which AI agents act on a shared credential: flagged by the inventory, or using a credential that other identities also used since a time?
-- param: since DateTime64(3,'UTC') = 1970-01-01 00:00:00; the start of the window (UTC); the default takes all time
-- An agent is an observed identity of class ai_agent (the inventory's class, else its events'). shared_with lists the other identities that used one of its credentials in the window.
WITH
    inventory AS (
        SELECT identity_id, class, shared_credential
        FROM identities FINAL
        WHERE last_seen >= {since:DateTime64(3,'UTC')}
    ),
    uses AS (
        SELECT DISTINCT identity_id, credential_id
        FROM events FINAL
        WHERE identity_id != '' AND credential_id != '' AND time >= {since:DateTime64(3,'UTC')}
    ),
    holders AS (
        SELECT credential_id, groupUniqArray(identity_id) AS ids
        FROM uses
        GROUP BY credential_id
        HAVING length(ids) > 1
    ),
    shared AS (
        SELECT u.identity_id AS identity_id,
            arraySort(groupUniqArray(u.credential_id)) AS credentials,
            arraySort(arrayDistinct(arrayFlatten(groupArray(h.ids)))) AS holders
        FROM uses AS u
        INNER JOIN holders AS h ON u.credential_id = h.credential_id
        GROUP BY u.identity_id
    ),
    seen AS (
        SELECT identity_id,
            argMaxIf(toString(identity_class), time, identity_class NOT IN ('', 'unknown')) AS event_class,
            count() AS events
        FROM events FINAL
        WHERE identity_id != '' AND time >= {since:DateTime64(3,'UTC')}
        GROUP BY identity_id
    ),
    observed AS (
        SELECT
            if(i.identity_id != '', i.identity_id, s.identity_id) AS identity_id,
            multiIf(i.class NOT IN ('', 'unknown'), toString(i.class), s.event_class != '', s.event_class, 'unknown') AS class,
            i.shared_credential AS flagged,
            s.events AS events
        FROM inventory AS i
        FULL OUTER JOIN seen AS s ON i.identity_id = s.identity_id
    )
SELECT
    o.identity_id AS identity_id,
    o.class AS class,
    o.flagged AS inventory_flag,
    sh.credentials AS shared_credentials,
    arrayFilter(x -> x != o.identity_id, sh.holders) AS shared_with,
    o.events AS events
FROM observed AS o
LEFT JOIN shared AS sh ON o.identity_id = sh.identity_id
WHERE o.class = 'ai_agent' AND (o.flagged OR notEmpty(sh.credentials))
ORDER BY length(shared_with) DESC, identity_id
