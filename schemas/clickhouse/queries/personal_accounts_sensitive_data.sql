-- name: personal_accounts_sensitive_data
-- question: Which identities reached sensitive data (confidential or restricted, or sensitive data found in the prompt or payload) from a personal account since a time?
-- param: since DateTime64(3,'UTC') = 1970-01-01 00:00:00; the start of the window (UTC); the default takes all time
-- An event counts when its identity_account_type is personal and its data_sensitivity or target_sensitivity is confidential or restricted, or it has findings. highest_sensitivity is empty when only findings made it count.
WITH
    inventory AS (
        SELECT identity_id, class FROM identities FINAL
    ),
    hits AS (
        SELECT
            identity_id,
            argMaxIf(toString(identity_class), time, identity_class NOT IN ('', 'unknown')) AS event_class,
            max(greatest(
                indexOf(['public', 'internal', 'confidential', 'restricted'], toString(data_sensitivity)),
                indexOf(['public', 'internal', 'confidential', 'restricted'], toString(target_sensitivity)))) AS rank,
            arraySort(groupUniqArrayArray(arrayMap(x -> toString(x), findings.type))) AS finding_types,
            toInt64(sum(arraySum(findings.count))) AS findings,
            arraySort(groupUniqArrayIf(toString(ai_service), ai_service != '')) AS ai_services,
            arraySort(groupUniqArrayIf(if(target_id != '', target_id, target_name), target_id != '' OR target_name != '')) AS targets,
            count() AS events,
            max(time) AS last_seen
        FROM events FINAL
        WHERE identity_id != '' AND identity_account_type = 'personal'
          AND (data_sensitivity IN ('confidential', 'restricted') OR target_sensitivity IN ('confidential', 'restricted') OR notEmpty(findings.type))
          AND time >= {since:DateTime64(3,'UTC')}
        GROUP BY identity_id
    )
SELECT
    h.identity_id AS identity_id,
    multiIf(i.class NOT IN ('', 'unknown'), toString(i.class), h.event_class != '', h.event_class, 'unknown') AS class,
    if(h.rank = 0, '', ['public', 'internal', 'confidential', 'restricted'][h.rank]) AS highest_sensitivity,
    h.finding_types AS finding_types,
    h.findings AS findings,
    h.ai_services AS ai_services,
    h.targets AS targets,
    h.events AS events,
    h.last_seen AS last_seen
FROM hits AS h
LEFT JOIN inventory AS i ON h.identity_id = i.identity_id
ORDER BY events DESC, identity_id
