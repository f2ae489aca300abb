-- name: permission_last_use
-- question: When did an identity last use each permission it holds, and which has it never used in the window?
-- param: identity String = ; the identity (events.identity_id); empty for every identity
-- The latest run of aitdr rightsize report (rightsize_permissions): granted permissions, used first by last use, then the unused ones (last_used 1970-01-01). kept says whether the recommendation keeps it.
WITH latest AS (
    SELECT max(run_time) AS run
    FROM rightsize_identities
)
SELECT
    identity_id,
    permission,
    used,
    uses,
    last_used,
    sensitive,
    kept,
    used_resources
FROM rightsize_permissions FINAL
WHERE run_time = (SELECT run FROM latest) AND granted
  AND ({identity:String} = '' OR identity_id = {identity:String})
ORDER BY identity_id, used DESC, last_used DESC, permission
