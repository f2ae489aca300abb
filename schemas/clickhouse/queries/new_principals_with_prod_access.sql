-- name: new_principals_with_prod_access
-- question: Which service accounts, users, roles or app principals were created in production, and by whom?
-- param: days UInt32 = 30; the window, in days back from now
-- param: target_types Array(String) = ['iam_user','iam_role','service_account','service_principal','app']; the target types that are principals
-- param: environment String = prod; the target environment
SELECT
    time,
    identity_id AS created_by,
    action_name,
    target_type,
    target_name,
    target_id,
    target_tenant,
    outcome
FROM events FINAL
WHERE category = 'iam_change'
  AND verb = 'create'
  AND target_environment = {environment:String}
  AND has({target_types:Array(String)}, toString(target_type))
  AND time >= now() - toIntervalDay({days:UInt32})
ORDER BY time DESC, event_id
