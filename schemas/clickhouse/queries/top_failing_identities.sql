-- name: top_failing_identities
-- question: Which identities have the most failed actions, with which errors?
-- param: days UInt32 = 7; the window, in days back from now
-- param: limit UInt32 = 20; the most identities returned
SELECT
    identity_id,
    count() AS failures,
    uniqExact(action_name) AS distinct_actions,
    arraySort(groupUniqArrayIf(toString(error_code), error_code != '')) AS error_codes,
    max(time) AS last_failure
FROM events FINAL
WHERE outcome = 'failure' AND identity_id != '' AND time >= now() - toIntervalDay({days:UInt32})
GROUP BY identity_id
ORDER BY failures DESC, identity_id
LIMIT {limit:UInt32}
