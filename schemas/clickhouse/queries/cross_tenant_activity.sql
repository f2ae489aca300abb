-- name: cross_tenant_activity
-- question: Which identities acted on resources of another account or tenant than their own?
-- param: days UInt32 = 7; the window, in days back from now
SELECT
    identity_id,
    identity_account,
    target_tenant,
    count() AS events,
    countIf(outcome = 'success') AS successes,
    arraySort(groupUniqArray(toString(action_name))) AS actions,
    min(time) AS first_seen,
    max(time) AS last_seen
FROM events FINAL
WHERE identity_account != '' AND target_tenant != '' AND target_tenant != identity_account
  AND time >= now() - toIntervalDay({days:UInt32})
GROUP BY identity_id, identity_account, target_tenant
ORDER BY events DESC, identity_id, target_tenant
