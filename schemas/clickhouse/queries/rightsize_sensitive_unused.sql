-- name: rightsize_sensitive_unused
-- question: Which sensitive permissions (IAM changes, secret access, data deletion, model deployment, logging changes) do identities hold without using them, and what grants them?
-- param: class String = ; only identities of this class (ai_agent, ai_builder, ai_user, ...); empty for all
-- The latest run of aitdr rightsize report (rightsize_permissions), agents first. policies are what to detach or edit to remove the permission.
WITH
    latest AS (
        SELECT max(run_time) AS run
        FROM rightsize_identities
    ),
    idents AS (
        SELECT identity_id, class, priority, trusted
        FROM rightsize_identities FINAL
        WHERE run_time = (SELECT run FROM latest)
    )
SELECT
    p.identity_id AS identity_id,
    i.class AS class,
    p.sensitive AS sensitive,
    p.permission AS permission,
    p.access_level AS access_level,
    i.trusted AS trusted,
    p.granted_resources AS granted_resources,
    p.policies AS policies
FROM rightsize_permissions AS p FINAL
INNER JOIN idents AS i ON p.identity_id = i.identity_id
WHERE p.run_time = (SELECT run FROM latest) AND p.granted AND NOT p.used AND p.sensitive != ''
  AND ({class:String} = '' OR i.class = {class:String})
ORDER BY i.priority, p.sensitive, p.permission
