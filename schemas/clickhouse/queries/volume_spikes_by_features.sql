-- name: volume_spikes_by_features
-- question: Which identities moved far more bytes, records or tokens than their own baseline (a bytes, records or tokens ratio feature at or above the threshold)?
-- param: days UInt32 = 7; the window, in days back from now
-- param: min_ratio Float64 = 10; the ratio to the identity's own baseline that counts as a spike
SELECT
    identity_id,
    count() AS spike_events,
    max(ratio) AS max_ratio,
    sum(bytes_in + bytes_out) AS bytes,
    sum(records) AS records,
    sum(tokens_in + tokens_out) AS tokens,
    min(time) AS first_spike,
    max(time) AS last_spike
FROM
(
    SELECT
        *,
        greatest(
            features['bytes_ratio.5m'], features['bytes_ratio.1h'], features['bytes_ratio.1d'],
            features['records_ratio.5m'], features['records_ratio.1h'], features['records_ratio.1d'],
            features['tokens_ratio.5m'], features['tokens_ratio.1h'], features['tokens_ratio.1d']) AS ratio
    FROM events FINAL
    WHERE identity_id != '' AND time >= now() - toIntervalDay({days:UInt32})
)
WHERE ratio >= {min_ratio:Float64}
GROUP BY identity_id
ORDER BY max_ratio DESC, identity_id
