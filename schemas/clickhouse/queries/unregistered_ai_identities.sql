-- name: unregistered_ai_identities
-- question: Which identities are active with AI services or models but are not on the assumed inventory (registered = false)?
-- param: days UInt32 = 30; the window, in days back from now
SELECT
    identity_id,
    any(identity_class) AS class,
    any(identity_kind) AS kind,
    arraySort(groupUniqArrayIf(toString(ai_service), ai_service != '')) AS services,
    arraySort(groupUniqArrayIf(toString(ai_model), ai_model != '')) AS models,
    count() AS ai_events,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM events FINAL
WHERE identity_id != '' AND (ai_service != '' OR ai_model != '')
  AND time >= now() - toIntervalDay({days:UInt32})
GROUP BY identity_id
HAVING max(registered) = false
ORDER BY ai_events DESC, identity_id
