-- name: llmjacking_signs
-- question: Which identities show signs of LLMjacking: model inference from an autonomous system or country new to them, or token volume far above their baseline?
-- param: days UInt32 = 7; the window, in days back from now
-- param: min_token_ratio Float64 = 10; the tokens ratio to the identity's own baseline that counts as unusual
SELECT
    identity_id,
    count() AS suspicious_events,
    countIf(features['is_new_asn'] = 1) AS new_asn_events,
    countIf(features['is_new_country'] = 1) AS new_country_events,
    countIf(token_ratio >= {min_token_ratio:Float64}) AS token_spike_events,
    max(token_ratio) AS max_token_ratio,
    sum(tokens_in + tokens_out) AS tokens,
    arraySort(groupUniqArrayIf(asn, features['is_new_asn'] = 1)) AS new_asns,
    arraySort(groupUniqArrayIf(toString(country), features['is_new_country'] = 1)) AS new_countries,
    arraySort(groupUniqArrayIf(toString(ai_model), ai_model != '')) AS models
FROM
(
    SELECT *, greatest(features['tokens_ratio.5m'], features['tokens_ratio.1h'], features['tokens_ratio.1d']) AS token_ratio
    FROM events FINAL
    WHERE category = 'model_inference' AND time >= now() - toIntervalDay({days:UInt32})
)
WHERE features['is_new_asn'] = 1 OR features['is_new_country'] = 1 OR token_ratio >= {min_token_ratio:Float64}
GROUP BY identity_id
ORDER BY suspicious_events DESC, identity_id
