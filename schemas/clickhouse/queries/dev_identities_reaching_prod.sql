-- name: dev_identities_reaching_prod
-- question: Which identities of a dev or test environment reached production models or other production resources since a time?
-- param: since DateTime64(3,'UTC') = 1970-01-01 00:00:00; the start of the window (UTC); the default takes all time
-- environment is the identity's own environment (from its account), target_environment the resource's. models are the models used (ai_model) or acted on (target_type model).
WITH
    inventory AS (
        SELECT identity_id, class FROM identities FINAL
    ),
    hits AS (
        SELECT
            identity_id,
            argMaxIf(toString(identity_class), time, identity_class NOT IN ('', 'unknown')) AS event_class,
            arraySort(groupUniqArray(toString(environment))) AS environments,
            arraySort(groupUniqArrayIf(if(target_id != '', target_id, target_name), target_id != '' OR target_name != '')) AS targets,
            arraySort(arrayFilter(x -> x != '', groupUniqArray(multiIf(ai_model != '', toString(ai_model), target_type = 'model', if(target_id != '', target_id, target_name), '')))) AS models,
            countIf(ai_model != '' OR target_type = 'model') AS model_events,
            count() AS events,
            countIf(outcome = 'failure') AS failures,
            max(time) AS last_seen
        FROM events FINAL
        WHERE identity_id != '' AND environment IN ('dev', 'test') AND target_environment = 'prod'
          AND time >= {since:DateTime64(3,'UTC')}
        GROUP BY identity_id
    )
SELECT
    h.identity_id AS identity_id,
    multiIf(i.class NOT IN ('', 'unknown'), toString(i.class), h.event_class != '', h.event_class, 'unknown') AS class,
    h.environments AS environments,
    h.models AS models,
    h.targets AS targets,
    h.model_events AS model_events,
    h.events AS events,
    h.failures AS failures,
    h.last_seen AS last_seen
FROM hits AS h
LEFT JOIN inventory AS i ON h.identity_id = i.identity_id
ORDER BY model_events DESC, events DESC, identity_id
