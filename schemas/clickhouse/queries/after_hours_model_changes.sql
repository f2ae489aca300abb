-- name: after_hours_model_changes
-- question: Who changed models or model weights (model_management actions other than reads and lists) outside their usual working hours?
-- param: days UInt32 = 30; the window, in days back from now
-- param: limit UInt32 = 1000; the most rows returned, newest first
SELECT
    time,
    identity_id,
    identity_class,
    action_name,
    verb,
    target_type,
    target_name,
    target_environment,
    outcome,
    source_ip
FROM events FINAL
WHERE category = 'model_management'
  AND verb NOT IN ('read', 'list')
  AND features['after_hours'] = 1
  AND time >= now() - toIntervalDay({days:UInt32})
ORDER BY time DESC, event_id
LIMIT {limit:UInt32}
