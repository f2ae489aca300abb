-- name: sensitive_findings_by_type_user
-- question: Which sensitive data types were found in prompts and payloads, for which identities, and how often?
-- param: days UInt32 = 30; the window, in days back from now
-- param: min_confidence Float64 = 0; the lowest finding confidence counted
SELECT
    identity_id,
    finding_type,
    sum(finding_count) AS occurrences,
    count() AS events,
    arraySort(groupUniqArrayIf(toString(ai_service), ai_service != '')) AS services,
    max(time) AS last_seen
FROM events FINAL
ARRAY JOIN findings.type AS finding_type, findings.count AS finding_count, findings.confidence AS finding_confidence
WHERE finding_confidence >= {min_confidence:Float64} AND time >= now() - toIntervalDay({days:UInt32})
GROUP BY identity_id, finding_type
ORDER BY occurrences DESC, identity_id, finding_type
