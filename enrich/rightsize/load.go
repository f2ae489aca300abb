package rightsize

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// grantsSQL reads each identity's permissions in its latest snapshot per
// scope, taken at or before the report time, one row per permission. Lists
// come joined by newlines: one string decodes far faster than an array.
const grantsSQL = `
WITH latest AS (
    SELECT identity_id, scope, max(snapshot_time) AS snap
    FROM permission_grants
    WHERE snapshot_time <= ?
    GROUP BY identity_id, scope
)
SELECT
    g.identity_id,
    any(toString(g.provider)),
    g.permission,
    any(toString(g.access_level)),
    any(toString(g.sensitive)),
    arrayStringConcat(arraySort(groupUniqArray(g.resource)), '\n'),
    arrayStringConcat(arraySort(groupUniqArray(g.granted_via)), '\n'),
    arrayStringConcat(arraySort(groupUniqArray(g.policy)), '\n')
FROM permission_grants AS g
INNER JOIN latest AS l ON g.identity_id = l.identity_id AND g.scope = l.scope AND g.snapshot_time = l.snap
GROUP BY g.identity_id, g.permission`

// usageSQL reads the successful actions of the window, one row per
// identity and kind of action, with some of the resources acted on. It
// reads events without FINAL: a redelivered event not merged yet counts
// its uses twice, which changes no permission from unused to used.
const usageSQL = `
SELECT
    identity_id,
    toString(product),
    toString(action_service),
    toString(action_name),
    attributes['gcp.permissions'] AS gcp_permissions,
    toString(target_type) AS target_type,
    toInt64(count()),
    min(time),
    max(time),
    arrayStringConcat(arraySort(groupUniqArray(20)(target_id)), '\n')
FROM events
WHERE time >= ? AND time < ? AND identity_id != '' AND outcome = 'success' AND action_name != ''
  AND identity_provider IN ('aws', 'gcp', 'kubernetes', 'okta', 'entra', 'github')
GROUP BY identity_id, product, action_service, action_name, gcp_permissions, target_type`

// identitiesSQL reads the inventory's class and first sighting.
const identitiesSQL = `
SELECT identity_id, toString(class), toString(kind), first_seen
FROM identities FINAL`

// Load reads the grants, the window's usage and the inventory from
// ClickHouse (the connection's default database).
func Load(ctx context.Context, conn driver.Conn, from, to time.Time) (Input, error) {
	in := Input{}
	var err error
	if in.Identities, err = loadIdentities(ctx, conn); err != nil {
		return in, err
	}
	ids := interner{}
	if err := scanGrants(ctx, conn, to, ids, func(g *GrantRow) { in.Grants = append(in.Grants, *g) }); err != nil {
		return in, err
	}
	err = scanUsage(ctx, conn, from, to, ids, func(u *UsageRow) { in.Usage = append(in.Usage, *u) })
	return in, err
}

// Build reads ClickHouse and analyzes: the report of opts.Now (default
// now) over opts.Config.Window. Rows are folded as they arrive, not held.
func Build(ctx context.Context, conn driver.Conn, opts Options) (*Report, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	opts.Now = opts.Now.UTC().Truncate(time.Millisecond)
	if opts.Config.Window <= 0 {
		opts.Config.Window = DefaultWindow
	}
	identities, err := loadIdentities(ctx, conn)
	if err != nil {
		return nil, err
	}
	z := newAnalyzer(identities, opts)
	ids := interner{}
	if err := scanGrants(ctx, conn, opts.Now, ids, z.grant); err != nil {
		return nil, err
	}
	if err := scanUsage(ctx, conn, opts.Now.Add(-opts.Config.Window), opts.Now, ids, z.usage); err != nil {
		return nil, err
	}
	return z.report(), nil
}

// scanGrants calls fn with each row of grantsSQL; the row is reused.
func scanGrants(ctx context.Context, conn driver.Conn, to time.Time, ids interner, fn func(*GrantRow)) error {
	rows, err := conn.Query(ctx, grantsSQL, to)
	if err != nil {
		return fmt.Errorf("read permission_grants: %w", err)
	}
	defer rows.Close()
	var g GrantRow
	var resources, vias, policies string
	for rows.Next() {
		if err := rows.Scan(&g.IdentityID, &g.Provider, &g.Permission, &g.AccessLevel, &g.Sensitive, &resources, &vias, &policies); err != nil {
			return fmt.Errorf("read permission_grants: %w", err)
		}
		g.IdentityID = ids.intern(g.IdentityID)
		g.Resources, g.GrantedVia, g.Policies = ids.list(resources), ids.list(vias), ids.list(policies)
		fn(&g)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read permission_grants: %w", err)
	}
	return nil
}

// scanUsage calls fn with each row of usageSQL; the row is reused.
func scanUsage(ctx context.Context, conn driver.Conn, from, to time.Time, ids interner, fn func(*UsageRow)) error {
	rows, err := conn.Query(ctx, usageSQL, from, to)
	if err != nil {
		return fmt.Errorf("read usage from events: %w", err)
	}
	defer rows.Close()
	var u UsageRow
	var targets string
	for rows.Next() {
		a := &u.Action
		if err := rows.Scan(&u.IdentityID, &a.Product, &a.Service, &a.Name, &a.GCPPermissions, &a.TargetType, &u.Uses, &u.First, &u.Last, &targets); err != nil {
			return fmt.Errorf("read usage from events: %w", err)
		}
		u.IdentityID = ids.intern(u.IdentityID)
		u.Targets = splitLines(targets)
		fn(&u)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read usage from events: %w", err)
	}
	return nil
}

// loadIdentities reads the inventory's class and first sighting.
func loadIdentities(ctx context.Context, conn driver.Conn) (map[string]IdentityInfo, error) {
	out := map[string]IdentityInfo{}
	rows, err := conn.Query(ctx, identitiesSQL)
	if err != nil {
		return nil, fmt.Errorf("read identities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var info IdentityInfo
		if err := rows.Scan(&id, &info.Class, &info.Kind, &info.FirstSeen); err != nil {
			return nil, fmt.Errorf("read identities: %w", err)
		}
		if info.FirstSeen.Unix() <= 0 {
			info.FirstSeen = time.Time{}
		}
		out[id] = info
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read identities: %w", err)
	}
	return out, nil
}

// interner keeps one copy of strings that repeat across rows (identity
// ids, policy names): half a million grants name ten thousand identities.
type interner map[string]string

func (n interner) intern(s string) string {
	if v, ok := n[s]; ok {
		return v
	}
	n[s] = s
	return s
}

// list splits a newline-joined list, interning its elements; a list of
// one element, the usual case, is interned whole.
func (n interner) list(s string) []string {
	if s == "" {
		return nil
	}
	if !strings.Contains(s, "\n") {
		return []string{n.intern(s)}
	}
	parts := strings.Split(s, "\n")
	for i, p := range parts {
		parts[i] = n.intern(p)
	}
	return parts
}

// splitLines splits a newline-joined list.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
