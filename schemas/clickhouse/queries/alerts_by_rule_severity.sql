-- name: alerts_by_rule_severity
-- question: How many alerts did each rule raise, by severity, over the window?
-- param: days UInt32 = 7; the window, in days back from now (by alert creation time)
SELECT
    rule_id,
    any(rule_name) AS rule_name,
    severity,
    severity_id,
    count() AS alerts,
    uniqExact(identity_id) AS identities
FROM alerts FINAL
WHERE time >= now() - toIntervalDay({days:UInt32})
GROUP BY rule_id, severity, severity_id
ORDER BY severity_id DESC, alerts DESC, rule_id
