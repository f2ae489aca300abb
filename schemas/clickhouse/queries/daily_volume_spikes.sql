-- name: daily_volume_spikes
-- question: On which days did an identity move far more data (bytes in and out) than its own trailing daily mean?
-- param: days UInt32 = 7; the days checked, back from today
-- param: baseline_days UInt32 = 28; the trailing days before each checked day that make its mean (days without activity are not counted)
-- param: min_ratio Float64 = 10; the ratio to the trailing mean that counts as a spike
-- param: min_baseline_days UInt32 = 3; the fewest active trailing days for a mean to count
WITH daily AS (
    SELECT
        identity_id,
        day,
        sum(bytes_in) + sum(bytes_out) AS bytes,
        sum(records) AS records,
        sum(tokens_in) + sum(tokens_out) AS tokens
    FROM identity_daily_volume
    WHERE day >= today() - toIntervalDay({days:UInt32} + {baseline_days:UInt32})
    GROUP BY identity_id, day
)
SELECT
    d.identity_id AS identity_id,
    d.day AS day,
    d.bytes AS bytes,
    round(avg(b.bytes), 1) AS trailing_mean_bytes,
    round(d.bytes / avg(b.bytes), 2) AS ratio,
    count() AS baseline_days_seen,
    d.records AS records,
    d.tokens AS tokens
FROM daily AS d
INNER JOIN daily AS b ON d.identity_id = b.identity_id
WHERE d.day >= today() - toIntervalDay({days:UInt32})
  AND b.day < d.day
  AND b.day >= d.day - toIntervalDay({baseline_days:UInt32})
GROUP BY identity_id, day, bytes, records, tokens
HAVING baseline_days_seen >= {min_baseline_days:UInt32} AND bytes >= {min_ratio:Float64} * avg(b.bytes)
ORDER BY ratio DESC, identity_id, day
