-- name: shadow_ai_by_user
-- question: Who uses shadow (unsanctioned) AI services, which ones, and how much?
-- param: days UInt32 = 30; the window, in days back from now
SELECT
    identity_id,
    any(identity_email) AS email,
    groupUniqArray(identity_account_type) AS account_types,
    arraySort(groupUniqArray(toString(ai_service))) AS services,
    count() AS events,
    sum(tokens_in + tokens_out) AS tokens,
    sum(arraySum(findings.count)) AS sensitive_findings,
    max(time) AS last_seen
FROM events FINAL
WHERE ai_service_status = 'shadow' AND time >= now() - toIntervalDay({days:UInt32})
GROUP BY identity_id
ORDER BY events DESC, identity_id
