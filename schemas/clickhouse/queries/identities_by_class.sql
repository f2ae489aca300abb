-- name: identities_by_class
-- question: How many identities does the inventory hold per class, how many are personal, unregistered or without an owner?
SELECT
    class,
    count() AS identities,
    countIf(kind = 'human') AS humans,
    countIf(kind = 'service') AS services,
    countIf(kind = 'agent') AS agents,
    countIf(account_type = 'personal') AS personal,
    countIf(NOT registered) AS unregistered,
    countIf(owner = '') AS without_owner
FROM identities FINAL
GROUP BY class
ORDER BY identities DESC, class
