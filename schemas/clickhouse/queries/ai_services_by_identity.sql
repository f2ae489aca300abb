-- name: ai_services_by_identity
-- question: Which AI services does each identity use, and from which account type (corporate or personal)?
-- param: days UInt32 = 30; the window, in days back from now
SELECT
    identity_id,
    identity_account_type AS account_type,
    ai_provider,
    ai_service,
    count() AS events,
    arraySort(groupUniqArrayIf(toString(ai_model), ai_model != '')) AS models,
    sum(tokens_in + tokens_out) AS tokens,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM events FINAL
WHERE ai_service != '' AND time >= now() - toIntervalDay({days:UInt32})
GROUP BY identity_id, account_type, ai_provider, ai_service
ORDER BY identity_id, account_type, ai_service
