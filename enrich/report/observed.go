package report

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	chschema "github.com/aitdr/aitdr/schemas/clickhouse"
)

// The ready queries (schemas/clickhouse/queries) the report runs, so that
// what it shows is what an analyst gets from the same query.
const (
	queryObservedInventory   = "observed_inventory"
	queryShadowAIByService   = "shadow_ai_by_service"
	queryPersonalSensitive   = "personal_accounts_sensitive_data"
	querySharedCredentials   = "shared_credential_agents"
	queryDevReachingProd     = "dev_identities_reaching_prod"
	queryBroadPermissions    = "broad_permission_agents"
	permissionSnapshotsQuery = "SELECT count() FROM permission_grants"
)

// sinceLayout is how a window start is given to the queries' since
// parameter, a DateTime64(3,'UTC').
const sinceLayout = "2006-01-02 15:04:05.000"

// ObservedIdentity is one identity seen in ClickHouse: in the identities
// table, or in the events of the window (a row of observed_inventory).
type ObservedIdentity struct {
	// ID is the aitdr identity id.
	ID string `json:"identity_id"`
	// Class is the inventory's class, else the latest its events carry,
	// else unknown.
	Class string `json:"class"`
	// Kind is human, service, agent or unknown.
	Kind string `json:"kind"`
	// AccountType is personal when any account or event of the window was
	// personal, corporate when the inventory says so, unknown otherwise.
	AccountType string `json:"account_type"`
	// DisplayName is the inventory's human-readable name.
	DisplayName string `json:"display_name,omitempty"`
	// Owner is the person responsible.
	Owner string `json:"owner,omitempty"`
	// Team is the owning team.
	Team string `json:"team,omitempty"`
	// Emails are the e-mail addresses it goes by, lower case.
	Emails []string `json:"emails,omitempty"`
	// Names are its display and login names.
	Names []string `json:"names,omitempty"`
	// UIDs are its provider-native ids (ARNs, object ids).
	UIDs []string `json:"uids,omitempty"`
	// AIServices are the AI services it used in the window.
	AIServices []string `json:"ai_services,omitempty"`
	// ShadowServices are the unsanctioned AI services it used.
	ShadowServices []string `json:"shadow_services,omitempty"`
	// PersonalAIServices are the AI services it used from a personal account.
	PersonalAIServices []string `json:"personal_ai_services,omitempty"`
	// AIEvents, ShadowEvents and PersonalAIEvents count its AI events, its
	// shadow AI events and its AI events from a personal account.
	AIEvents         int64 `json:"ai_events"`
	ShadowEvents     int64 `json:"shadow_events"`
	PersonalAIEvents int64 `json:"personal_ai_events"`
	// SharedCredential is the inventory's flag.
	SharedCredential bool `json:"shared_credential,omitempty"`
	// Registered is the pipeline's own registered flag (from the enrich
	// stage's copy of the assumed inventory).
	Registered bool `json:"registered,omitempty"`
	// FirstSeen and LastSeen bound its activity.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Events counts its events in the window.
	Events int64 `json:"events"`
}

// Name is the first name the identity goes by, or its first e-mail.
func (o ObservedIdentity) Name() string {
	switch {
	case o.DisplayName != "":
		return o.DisplayName
	case len(o.Names) > 0:
		return o.Names[0]
	case len(o.Emails) > 0:
		return o.Emails[0]
	}
	return ""
}

// ShadowService is one unsanctioned AI service in use (a row of
// shadow_ai_by_service).
type ShadowService struct {
	// Service is the AI service (events.ai_service).
	Service string `json:"service"`
	// Providers are the model providers seen behind it.
	Providers []string `json:"providers,omitempty"`
	// Identities counts the identities that used it.
	Identities int64 `json:"identities"`
	// PersonalIdentities counts those that used it from a personal account.
	PersonalIdentities int64 `json:"personal_identities"`
	// Events counts the events through it.
	Events int64 `json:"events"`
	// Tokens sums their input and output tokens.
	Tokens int64 `json:"tokens"`
	// FirstSeen and LastSeen bound its use in the window.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// PersonalSensitive is an identity that reached sensitive data from a
// personal account (a row of personal_accounts_sensitive_data).
type PersonalSensitive struct {
	// IdentityID is the identity.
	IdentityID string `json:"identity_id"`
	// Class is its class, as observed_inventory gives it.
	Class string `json:"class"`
	// HighestSensitivity is confidential or restricted, or empty when only
	// findings in prompts or payloads made the events count.
	HighestSensitivity string `json:"highest_sensitivity,omitempty"`
	// FindingTypes are the kinds of sensitive data found.
	FindingTypes []string `json:"finding_types,omitempty"`
	// Findings counts their occurrences.
	Findings int64 `json:"findings"`
	// AIServices are the AI services of those events.
	AIServices []string `json:"ai_services,omitempty"`
	// Targets are the resources of those events.
	Targets []string `json:"targets,omitempty"`
	// Events counts the events.
	Events int64 `json:"events"`
	// LastSeen is the time of the latest.
	LastSeen time.Time `json:"last_seen"`
	// Known is true when the assumed inventory names the identity.
	Known bool `json:"known"`
}

// SharedCredentialAgent is an AI agent on a shared credential (a row of
// shared_credential_agents).
type SharedCredentialAgent struct {
	// IdentityID is the agent.
	IdentityID string `json:"identity_id"`
	// Class is ai_agent.
	Class string `json:"class"`
	// InventoryFlag is the enrich stage's shared_credential flag.
	InventoryFlag bool `json:"inventory_flag"`
	// SharedCredentials are its credentials that other identities used.
	SharedCredentials []string `json:"shared_credentials,omitempty"`
	// SharedWith are those other identities.
	SharedWith []string `json:"shared_with,omitempty"`
	// Owner and Team are the agent's, from the observed inventory: who to
	// ask which workloads hold the credential.
	Owner string `json:"owner,omitempty"`
	Team  string `json:"team,omitempty"`
	// Events counts the agent's events in the window.
	Events int64 `json:"events"`
	// Known is true when the assumed inventory names the agent.
	Known bool `json:"known"`
}

// DevToProd is an identity of a dev or test environment that reached
// production (a row of dev_identities_reaching_prod).
type DevToProd struct {
	// IdentityID is the identity.
	IdentityID string `json:"identity_id"`
	// Class is its class.
	Class string `json:"class"`
	// Environments are its own environments in those events (dev, test).
	Environments []string `json:"environments"`
	// Models are the production models it used or acted on.
	Models []string `json:"models,omitempty"`
	// Targets are the production resources it reached.
	Targets []string `json:"targets,omitempty"`
	// ModelEvents counts the events on models.
	ModelEvents int64 `json:"model_events"`
	// Events counts every such event; Failures those that failed.
	Events   int64 `json:"events"`
	Failures int64 `json:"failures"`
	// LastSeen is the time of the latest.
	LastSeen time.Time `json:"last_seen"`
	// Known is true when the assumed inventory names the identity.
	Known bool `json:"known"`
}

// BroadPermissionAgent is an AI agent with broad permissions (a row of
// broad_permission_agents).
type BroadPermissionAgent struct {
	// IdentityID is the agent.
	IdentityID string `json:"identity_id"`
	// Class is ai_agent.
	Class string `json:"class"`
	// Granted counts the permissions of its latest snapshot.
	Granted int64 `json:"granted"`
	// UsedGrants counts those used in the window.
	UsedGrants int64 `json:"used_grants"`
	// UnusedShare is the share unused, rounded to three decimals.
	UnusedShare float64 `json:"unused_share"`
	// WildcardGrants are its grants with a * in the permission.
	WildcardGrants []string `json:"wildcard_grants,omitempty"`
	// UnusedPermissions are the grants not used in the window.
	UnusedPermissions []string `json:"unused_permissions,omitempty"`
	// Known is true when the assumed inventory names the agent.
	Known bool `json:"known"`
}

// Observed is what ClickHouse holds about the identities of a window: the
// answers of the report's ready queries.
type Observed struct {
	// Since is the start of the window; zero for all time.
	Since time.Time
	// Identities are the rows of observed_inventory.
	Identities []ObservedIdentity
	// ShadowServices are the rows of shadow_ai_by_service.
	ShadowServices []ShadowService
	// PersonalSensitive are the rows of personal_accounts_sensitive_data.
	PersonalSensitive []PersonalSensitive
	// SharedCredentialAgents are the rows of shared_credential_agents.
	SharedCredentialAgents []SharedCredentialAgent
	// DevToProd are the rows of dev_identities_reaching_prod.
	DevToProd []DevToProd
	// BroadPermissionAgents are the rows of broad_permission_agents, empty
	// without permission snapshots.
	BroadPermissionAgents []BroadPermissionAgent
	// PermissionSnapshots is true when permission_grants holds any row.
	PermissionSnapshots bool
}

// DefaultMinUnusedShare is the share of unused grants that makes an agent's
// permissions broad when ObserveOptions.MinUnusedShare is zero: agents
// often use a tenth of what they hold.
const DefaultMinUnusedShare = 0.8

// ObserveOptions are the parameters of Observe.
type ObserveOptions struct {
	// Since is the start of the window; zero takes all time.
	Since time.Time
	// MinUnusedShare is the share of unused grants, above 0 and at most 1,
	// that makes an agent's permissions broad. Default
	// DefaultMinUnusedShare.
	MinUnusedShare float64
}

// Observe runs the report's ready queries through conn, whose database
// must be aitdr's (the queries name tables without one). It reads only.
func Observe(ctx context.Context, conn driver.Conn, opts ObserveOptions) (*Observed, error) {
	if opts.MinUnusedShare == 0 {
		opts.MinUnusedShare = DefaultMinUnusedShare
	}
	if opts.MinUnusedShare < 0 || opts.MinUnusedShare > 1 {
		return nil, fmt.Errorf("observe: min unused share %g is not in (0, 1]", opts.MinUnusedShare)
	}
	since := "1970-01-01 00:00:00.000"
	if !opts.Since.IsZero() {
		since = opts.Since.UTC().Format(sinceLayout)
	}
	params := map[string]string{
		"since":            since,
		"min_unused_share": strconv.FormatFloat(opts.MinUnusedShare, 'g', -1, 64),
	}
	obs := &Observed{Since: opts.Since}

	err := run(ctx, conn, queryObservedInventory, params, func(r row) {
		obs.Identities = append(obs.Identities, ObservedIdentity{
			ID: r.str("identity_id"), Class: r.str("class"), Kind: r.str("kind"), AccountType: r.str("account_type"),
			DisplayName: r.str("display_name"), Owner: r.str("owner"), Team: r.str("team"),
			Emails: r.strs("emails"), Names: r.strs("names"), UIDs: r.strs("uids"),
			AIServices: r.strs("ai_services"), ShadowServices: r.strs("shadow_services"),
			PersonalAIServices: r.strs("personal_ai_services"),
			AIEvents:           r.int("ai_events"), ShadowEvents: r.int("shadow_events"),
			PersonalAIEvents: r.int("personal_ai_events"),
			SharedCredential: r.bool("shared_credential"), Registered: r.bool("registered"),
			FirstSeen: r.time("first_seen"), LastSeen: r.time("last_seen"), Events: r.int("events"),
		})
	})
	if err != nil {
		return nil, err
	}
	err = run(ctx, conn, queryShadowAIByService, params, func(r row) {
		obs.ShadowServices = append(obs.ShadowServices, ShadowService{
			Service: r.str("service"), Providers: r.strs("providers"), Identities: r.int("identities"),
			PersonalIdentities: r.int("personal_identities"), Events: r.int("events"), Tokens: r.int("tokens"),
			FirstSeen: r.time("first_seen"), LastSeen: r.time("last_seen"),
		})
	})
	if err != nil {
		return nil, err
	}
	err = run(ctx, conn, queryPersonalSensitive, params, func(r row) {
		obs.PersonalSensitive = append(obs.PersonalSensitive, PersonalSensitive{
			IdentityID: r.str("identity_id"), Class: r.str("class"), HighestSensitivity: r.str("highest_sensitivity"),
			FindingTypes: r.strs("finding_types"), Findings: r.int("findings"), AIServices: r.strs("ai_services"),
			Targets: r.strs("targets"), Events: r.int("events"), LastSeen: r.time("last_seen"),
		})
	})
	if err != nil {
		return nil, err
	}
	err = run(ctx, conn, querySharedCredentials, params, func(r row) {
		obs.SharedCredentialAgents = append(obs.SharedCredentialAgents, SharedCredentialAgent{
			IdentityID: r.str("identity_id"), Class: r.str("class"), InventoryFlag: r.bool("inventory_flag"),
			SharedCredentials: r.strs("shared_credentials"), SharedWith: r.strs("shared_with"), Events: r.int("events"),
		})
	})
	if err != nil {
		return nil, err
	}
	err = run(ctx, conn, queryDevReachingProd, params, func(r row) {
		obs.DevToProd = append(obs.DevToProd, DevToProd{
			IdentityID: r.str("identity_id"), Class: r.str("class"), Environments: r.strs("environments"),
			Models: r.strs("models"), Targets: r.strs("targets"), ModelEvents: r.int("model_events"),
			Events: r.int("events"), Failures: r.int("failures"), LastSeen: r.time("last_seen"),
		})
	})
	if err != nil {
		return nil, err
	}
	var grants uint64
	if err := conn.QueryRow(ctx, permissionSnapshotsQuery).Scan(&grants); err != nil {
		return nil, fmt.Errorf("observe: %s: %w", permissionSnapshotsQuery, err)
	}
	obs.PermissionSnapshots = grants > 0
	if obs.PermissionSnapshots {
		err = run(ctx, conn, queryBroadPermissions, params, func(r row) {
			obs.BroadPermissionAgents = append(obs.BroadPermissionAgents, BroadPermissionAgent{
				IdentityID: r.str("identity_id"), Class: r.str("class"), Granted: r.int("granted"),
				UsedGrants: r.int("used_grants"), UnusedShare: r.float("unused_share"),
				WildcardGrants: r.strs("wildcard_grants"), UnusedPermissions: r.strs("unused_permissions"),
			})
		})
		if err != nil {
			return nil, err
		}
	}
	return obs, nil
}

// run runs the ready query name with the parameters it declares (taken from
// params) and calls each for every row.
func run(ctx context.Context, conn driver.Conn, name string, params map[string]string, each func(row)) error {
	q, ok := chschema.LookupQuery(name)
	if !ok {
		return fmt.Errorf("observe: no ready query %s", name)
	}
	values := map[string]string{}
	for _, p := range q.Params {
		values[p.Name] = params[p.Name]
	}
	values, err := q.Parameters(values)
	if err != nil {
		return fmt.Errorf("observe: %w", err)
	}
	rows, err := conn.Query(ch.Context(ctx, ch.WithParameters(values)), q.SQL)
	if err != nil {
		return fmt.Errorf("observe: query %s: %w", name, err)
	}
	defer rows.Close()
	names := rows.Columns()
	types := rows.ColumnTypes()
	vals := make([]any, len(types))
	for rows.Next() {
		for i, ct := range types {
			vals[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(vals...); err != nil {
			return fmt.Errorf("observe: query %s: %w", name, err)
		}
		r := row{}
		for i, n := range names {
			r[n] = reflect.ValueOf(vals[i]).Elem().Interface()
		}
		each(r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("observe: query %s: %w", name, err)
	}
	return nil
}

// row is a result row by column name. Its getters convert what ClickHouse
// returns (whose integer widths differ between functions and versions) and
// give the zero value for a column the row lacks.
type row map[string]any

func (r row) str(name string) string {
	s, _ := r[name].(string)
	return s
}

func (r row) strs(name string) []string {
	s, _ := r[name].([]string)
	if len(s) == 0 {
		return nil
	}
	return s
}

func (r row) int(name string) int64 {
	switch v := reflect.ValueOf(r[name]); v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(min(v.Uint(), 1<<63-1))
	}
	return 0
}

func (r row) float(name string) float64 {
	switch v := reflect.ValueOf(r[name]); v.Kind() {
	case reflect.Float32, reflect.Float64:
		return v.Float()
	}
	return float64(r.int(name))
}

func (r row) bool(name string) bool {
	if b, ok := r[name].(bool); ok {
		return b
	}
	return r.int(name) != 0
}

func (r row) time(name string) time.Time {
	t, _ := r[name].(time.Time)
	return t.UTC()
}
