// Package rightsize measures, per identity, the permissions granted (the
// latest permission snapshots in ClickHouse's permission_grants, written by
// ingest/grants) against the permissions used (successful events of a
// window, mapped to permissions per source by Permissions), and writes the
// least-privilege change: an AWS IAM policy of the used actions with
// resources narrowed where the events show them, a Kubernetes Role, a
// Google Cloud custom role, the application assignments or token scopes
// to drop, each with its difference from what is granted.
//
// Recommendations are ordered by disruption risk: agents first, builders
// next, users last (then other services and humans). One whose identity
// was observed for fewer than Config.MinDays days or Config.MinEvents
// events is flagged as too short to trust and removes nothing in the
// totals. The report's measure is the attack-surface reduction available:
// the share of granted permissions the trusted recommendations remove, per
// class, for the AI identities and overall.
//
// Build reads ClickHouse and Analyze computes; the Report is written as a
// terminal table, JSON, CSV or a self-contained HTML page, and Store puts
// the same numbers in the rightsize_identities and rightsize_permissions
// tables, which the ready queries rightsize_* read. docs/protect.md
// describes the inputs, the mapping, the measures and the artefacts.
package rightsize
