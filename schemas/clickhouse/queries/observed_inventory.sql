-- name: observed_inventory
-- question: Which identities were active since a time, with their class, account type, owner, the ids, names and e-mails they go by, and the AI services they used (the observed side of the visibility report)?
-- param: since DateTime64(3,'UTC') = 1970-01-01 00:00:00; the start of the window (UTC); the default takes all time
-- An identity is observed when it has events in the window or its identities row was last seen in it. Its class is the inventory's, else the latest one its events carry, else unknown. Activity columns (services, events) count the events of the window.
WITH
    inventory AS (
        SELECT identity_id, class, kind, account_type, display_name, email, owner, team,
            shared_credential, registered, first_seen, last_seen
        FROM identities FINAL
        WHERE last_seen >= {since:DateTime64(3,'UTC')}
    ),
    seen AS (
        SELECT
            identity_id,
            argMaxIf(toString(identity_class), time, identity_class NOT IN ('', 'unknown')) AS event_class,
            argMaxIf(toString(identity_kind), time, identity_kind NOT IN ('', 'unknown')) AS event_kind,
            groupUniqArray(toString(identity_account_type)) AS account_types,
            groupUniqArrayIf(lower(identity_email), identity_email != '') AS emails,
            arrayDistinct(arrayFilter(x -> x != '', arrayConcat(groupUniqArray(identity_name), groupUniqArray(identity_display_name)))) AS names,
            groupUniqArrayIf(identity_uid, identity_uid != '') AS uids,
            groupUniqArrayIf(toString(ai_service), ai_service != '') AS ai_services,
            groupUniqArrayIf(toString(ai_service), ai_service != '' AND ai_service_status = 'shadow') AS shadow_services,
            groupUniqArrayIf(toString(ai_service), ai_service != '' AND identity_account_type = 'personal') AS personal_ai_services,
            countIf(ai_service != '' OR ai_model != '') AS ai_events,
            countIf(ai_service != '' AND ai_service_status = 'shadow') AS shadow_events,
            countIf((ai_service != '' OR ai_model != '') AND identity_account_type = 'personal') AS personal_ai_events,
            max(registered) AS registered,
            min(time) AS first_seen,
            max(time) AS last_seen,
            count() AS events
        FROM events FINAL
        WHERE identity_id != '' AND time >= {since:DateTime64(3,'UTC')}
        GROUP BY identity_id
    )
SELECT
    if(i.identity_id != '', i.identity_id, s.identity_id) AS identity_id,
    multiIf(i.class NOT IN ('', 'unknown'), toString(i.class), s.event_class != '', s.event_class, 'unknown') AS class,
    multiIf(i.kind NOT IN ('', 'unknown'), toString(i.kind), s.event_kind != '', s.event_kind, 'unknown') AS kind,
    multiIf(i.account_type = 'personal' OR has(s.account_types, 'personal'), 'personal',
            i.account_type = 'corporate' OR (i.identity_id = '' AND has(s.account_types, 'corporate')), 'corporate',
            'unknown') AS account_type,
    i.display_name AS display_name,
    i.owner AS owner,
    toString(i.team) AS team,
    arraySort(arrayDistinct(arrayFilter(x -> x != '', arrayConcat([lower(i.email)], s.emails)))) AS emails,
    arraySort(arrayDistinct(arrayFilter(x -> x != '', arrayConcat([i.display_name], s.names)))) AS names,
    arraySort(s.uids) AS uids,
    arraySort(s.ai_services) AS ai_services,
    arraySort(s.shadow_services) AS shadow_services,
    arraySort(s.personal_ai_services) AS personal_ai_services,
    s.ai_events AS ai_events,
    s.shadow_events AS shadow_events,
    s.personal_ai_events AS personal_ai_events,
    i.shared_credential AS shared_credential,
    i.registered OR s.registered AS registered,
    multiIf(i.identity_id = '', s.first_seen, s.identity_id = '', i.first_seen, least(i.first_seen, s.first_seen)) AS first_seen,
    multiIf(i.identity_id = '', s.last_seen, s.identity_id = '', i.last_seen, greatest(i.last_seen, s.last_seen)) AS last_seen,
    s.events AS events
FROM inventory AS i
FULL OUTER JOIN seen AS s ON i.identity_id = s.identity_id
ORDER BY class, identity_id
