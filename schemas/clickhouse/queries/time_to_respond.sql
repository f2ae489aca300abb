-- name: time_to_respond
-- question: What are the mean and 95th percentile times from an alert to its first completed (succeeded or failed, not dry-run) response action, per severity and overall?
-- param: days UInt32 = 30; the window, in days back from now (by alert creation time)
WITH responded AS (
    SELECT alert_id, min(completed_at) AS first_completed
    FROM response_actions FINAL
    WHERE status IN ('succeeded', 'failed') AND NOT dry_run AND completed_at > toDateTime64(0, 3, 'UTC')
    GROUP BY alert_id
)
SELECT
    if(grouping(a.severity) = 1, 'all', toString(a.severity)) AS severity,
    count() AS responded_alerts,
    round(avg(dateDiff('millisecond', a.time, r.first_completed)) / 1000, 3) AS mean_seconds,
    round(quantileExact(0.95)(dateDiff('millisecond', a.time, r.first_completed)) / 1000, 3) AS p95_seconds
FROM alerts AS a FINAL
INNER JOIN responded AS r ON a.alert_id = r.alert_id
WHERE a.time >= now() - toIntervalDay({days:UInt32})
GROUP BY GROUPING SETS ((a.severity), ())
ORDER BY grouping(a.severity), severity
