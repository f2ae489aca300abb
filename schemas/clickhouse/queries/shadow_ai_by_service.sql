-- name: shadow_ai_by_service
-- question: Which unsanctioned (shadow) AI services were used since a time, by how many identities, how many of them on personal accounts, and how much?
-- param: since DateTime64(3,'UTC') = 1970-01-01 00:00:00; the start of the window (UTC); the default takes all time
SELECT
    toString(ai_service) AS service,
    arraySort(groupUniqArrayIf(toString(ai_provider), ai_provider != '')) AS providers,
    uniqExact(identity_id) AS identities,
    uniqExactIf(identity_id, identity_account_type = 'personal') AS personal_identities,
    count() AS events,
    sum(tokens_in + tokens_out) AS tokens,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM events FINAL
WHERE identity_id != '' AND ai_service != '' AND ai_service_status = 'shadow'
  AND time >= {since:DateTime64(3,'UTC')}
GROUP BY service
ORDER BY identities DESC, events DESC, service
