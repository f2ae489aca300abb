-- name: false_positive_rate_by_rule
-- question: What share of each rule's judged alerts did analysts mark false positive (latest verdict per alert)?
-- param: days UInt32 = 90; the window, in days back from now (by alert creation time)
SELECT
    a.rule_id AS rule_id,
    any(a.rule_name) AS rule_name,
    count() AS judged,
    countIf(d.disposition = 'false_positive') AS false_positives,
    countIf(d.disposition = 'true_positive') AS true_positives,
    countIf(d.disposition = 'benign') AS benign,
    round(false_positives / judged, 3) AS false_positive_rate
FROM alert_dispositions AS d FINAL
INNER JOIN (SELECT alert_id, rule_id, rule_name, time FROM alerts FINAL) AS a ON d.alert_id = a.alert_id
WHERE a.time >= now() - toIntervalDay({days:UInt32})
GROUP BY rule_id
ORDER BY false_positive_rate DESC, judged DESC, rule_id
