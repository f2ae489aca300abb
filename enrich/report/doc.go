// Package report computes the visibility report of the AI identity
// inventory: the assumed inventory (a CSV the customer provides: licences,
// registered agents, known service accounts) beside the inventory aitdr
// observed, per class, with the gap both ways, shadow AI and high-risk
// patterns. Its headline: "observed N AI identities, the assumed inventory
// knew M (x%)".
//
// The observed side is read from ClickHouse alone, through the ready
// queries of schemas/clickhouse/queries (observed_inventory,
// shadow_ai_by_service, personal_accounts_sensitive_data,
// shared_credential_agents, dev_identities_reaching_prod,
// broad_permission_agents), so the report works the same on the embedded
// engine and on a cluster, and an analyst can run each query on its own.
//
// ReadAssumed parses the CSV, reporting each bad row with file:line and
// cause and using the rest; Observe runs the queries; Compute matches
// assumed entries to observed identities (by id, e-mail, name or alias,
// case-insensitively) and computes one Report, which Write renders as a
// terminal table, JSON, CSV or a self-contained HTML page with the same
// numbers (Measures lists them). docs/discover.md describes the CSV format
// and every measure.
package report
