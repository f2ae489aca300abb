package report

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/aitdr/aitdr/schemas"
)

// Classes are the identity classes the report counts, in the order it shows
// them; an observed identity of any other class counts as unknown.
var Classes = []string{
	string(schemas.ClassAIUser), string(schemas.ClassAIBuilder), string(schemas.ClassAIAgent),
	string(schemas.ClassHuman), string(schemas.ClassService),
}

// aiClasses are the classes the headline counts.
var aiClasses = []string{string(schemas.ClassAIUser), string(schemas.ClassAIBuilder), string(schemas.ClassAIAgent)}

const classUnknown = string(schemas.ClassUnknown)

// NoPermissionSnapshots is the note the report carries while
// permission_grants is empty: broad permissions cannot be judged.
const NoPermissionSnapshots = "no permission snapshots yet: agents with broad permissions are listed once policy snapshots are imported into permission_grants"

// Report is the visibility report: the assumed inventory beside the
// observed one, per class, with the gap both ways, shadow AI and high-risk
// patterns. It is computed once (Compute) and rendered as a table, JSON,
// CSV or HTML, so that every format shows the same numbers.
type Report struct {
	// GeneratedAt is when the report was computed.
	GeneratedAt time.Time `json:"generated_at"`
	// Since is the start of the window; zero (absent in JSON) for all time.
	Since time.Time `json:"since,omitzero"`
	// Headline is the report in one sentence.
	Headline Headline `json:"headline"`
	// Assumed describes the assumed inventory file.
	Assumed AssumedSummary `json:"assumed"`
	// Classes counts per class, in the order of Classes (unknown last, when
	// any observed identity has no class).
	Classes []ClassCounts `json:"classes"`
	// Total sums Classes.
	Total ClassCounts `json:"total"`
	// ObservedNotAssumed are the observed identities the assumed inventory
	// does not name, by class then id.
	ObservedNotAssumed []GapIdentity `json:"observed_not_assumed"`
	// AssumedNotSeen are the assumed entries no observed identity matched,
	// by class then line.
	AssumedNotSeen []Entry `json:"assumed_not_seen"`
	// Matches pair assumed entries with the observed identities they
	// matched, by observed class, identity and line.
	Matches []Match `json:"matches"`
	// ShadowAI is the AI used outside what the organization sanctions.
	ShadowAI ShadowAI `json:"shadow_ai"`
	// HighRisk are the risky patterns found.
	HighRisk HighRisk `json:"high_risk"`
	// Notes say what the report could not judge, and why.
	Notes []string `json:"notes"`
}

// Headline is the report's first line: "observed N AI identities, the
// assumed inventory knew M (x%)".
type Headline struct {
	// ObservedAI counts the observed AI users, builders and agents.
	ObservedAI int `json:"observed_ai"`
	// KnownAI counts those the assumed inventory names.
	KnownAI int `json:"known_ai"`
	// KnownPercent is KnownAI of ObservedAI in percent, to one decimal; 0
	// when none was observed.
	KnownPercent float64 `json:"known_percent"`
	// Text is the headline as a sentence.
	Text string `json:"text"`
}

// AssumedSummary describes the assumed inventory the report used.
type AssumedSummary struct {
	// File is the file's name, empty when no assumed inventory was given.
	File string `json:"file"`
	// Entries counts the rows used.
	Entries int `json:"entries"`
	// BadRows are the rows skipped, with line and cause.
	BadRows []Issue `json:"bad_rows"`
	// IgnoredColumns are the header's columns that name no field.
	IgnoredColumns []string `json:"ignored_columns"`
}

// ClassCounts are the counts of one class. Observed = Matched +
// ObservedNotAssumed; Assumed counts the entries of the class, of which
// AssumedNotSeen matched no observed identity.
type ClassCounts struct {
	// Class is the class, or total.
	Class string `json:"class"`
	// Observed counts the observed identities of the class.
	Observed int `json:"observed"`
	// Assumed counts the assumed entries of the class.
	Assumed int `json:"assumed"`
	// Matched counts the observed identities some entry matched.
	Matched int `json:"matched"`
	// ObservedNotAssumed counts the observed identities no entry matched.
	ObservedNotAssumed int `json:"observed_not_assumed"`
	// AssumedNotSeen counts the entries that matched no observed identity.
	AssumedNotSeen int `json:"assumed_not_seen"`
}

// GapIdentity is an observed identity the assumed inventory does not name.
type GapIdentity struct {
	// IdentityID is the identity.
	IdentityID string `json:"identity_id"`
	// Class, Kind and AccountType are as observed_inventory gives them.
	Class       string `json:"class"`
	Kind        string `json:"kind"`
	AccountType string `json:"account_type"`
	// Name is the first name it goes by (see ObservedIdentity.Name).
	Name string `json:"name,omitempty"`
	// Owner is the person responsible, and Team the owning team, as the
	// directory (or the CMDB's workload register) gives them.
	Owner string `json:"owner,omitempty"`
	Team  string `json:"team,omitempty"`
	// AIServices are the AI services it used in the window.
	AIServices []string `json:"ai_services,omitempty"`
	// Events counts its events in the window.
	Events int64 `json:"events"`
	// FirstSeen and LastSeen bound its activity.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// ShadowAI is the AI used outside what the organization sanctions.
type ShadowAI struct {
	// Services are the unsanctioned AI services in use (shadow_ai_by_service).
	Services []ShadowService `json:"services"`
	// Identities are the identities that used unsanctioned services, most
	// events first.
	Identities []ShadowIdentity `json:"identities"`
	// PersonalAccounts are the identities that used AI from a personal
	// account, most events first.
	PersonalAccounts []PersonalAIUse `json:"personal_accounts"`
}

// ShadowIdentity is an identity that used unsanctioned AI services.
type ShadowIdentity struct {
	// IdentityID is the identity.
	IdentityID string `json:"identity_id"`
	// Class and AccountType are as observed_inventory gives them.
	Class       string `json:"class"`
	AccountType string `json:"account_type"`
	// Services are the unsanctioned services it used.
	Services []string `json:"services"`
	// Events counts its events through them.
	Events int64 `json:"events"`
	// Known is true when the assumed inventory names the identity.
	Known bool `json:"known"`
}

// PersonalAIUse is an identity that used AI from a personal account.
type PersonalAIUse struct {
	// IdentityID is the identity.
	IdentityID string `json:"identity_id"`
	// Class is its class.
	Class string `json:"class"`
	// Services are the AI services it used from a personal account.
	Services []string `json:"services,omitempty"`
	// Events counts those AI events.
	Events int64 `json:"events"`
	// Known is true when the assumed inventory names the identity.
	Known bool `json:"known"`
}

// HighRisk are the risky patterns among the observed identities.
type HighRisk struct {
	// PersonalSensitive are the personal accounts that reached sensitive data.
	PersonalSensitive []PersonalSensitive `json:"personal_accounts_sensitive_data"`
	// SharedCredentialAgents are the agents on shared credentials.
	SharedCredentialAgents []SharedCredentialAgent `json:"agents_on_shared_credentials"`
	// DevToProd are the dev and test identities that reached production.
	DevToProd []DevToProd `json:"dev_identities_reaching_prod"`
	// BroadPermissionAgents are the agents with broad permissions.
	BroadPermissionAgents []BroadPermissionAgent `json:"agents_with_broad_permissions"`
	// PermissionSnapshots is false while permission_grants is empty; then
	// BroadPermissionAgents is empty because nothing could be judged.
	PermissionSnapshots bool `json:"permission_snapshots"`
	// MinUnusedShare is the share of unused grants that made an agent's
	// permissions broad.
	MinUnusedShare float64 `json:"min_unused_share"`
}

// Options are the parameters of Build and Compute.
type Options struct {
	// Since is the start of the window Build observes; zero takes all
	// time. Compute takes the window from its Observed.
	Since time.Time
	// Now is the report's time. Default time.Now().
	Now time.Time
	// MinUnusedShare is the share of unused grants that makes an agent's
	// permissions broad. Default DefaultMinUnusedShare.
	MinUnusedShare float64
}

// Build observes ClickHouse through conn (see Observe) and computes the
// report against assumed, which may be nil when the customer gave none.
func Build(ctx context.Context, conn driver.Conn, assumed *Assumed, opts Options) (*Report, error) {
	obs, err := Observe(ctx, conn, ObserveOptions{Since: opts.Since, MinUnusedShare: opts.MinUnusedShare})
	if err != nil {
		return nil, err
	}
	return Compute(obs, assumed, opts), nil
}

// Compute puts the assumed inventory (nil for none) beside the observed
// one. It does not change its arguments.
func Compute(obs *Observed, assumed *Assumed, opts Options) *Report {
	if assumed == nil {
		assumed = &Assumed{}
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.MinUnusedShare == 0 {
		opts.MinUnusedShare = DefaultMinUnusedShare
	}
	r := &Report{
		GeneratedAt: opts.Now.UTC(),
		Assumed: AssumedSummary{
			File: assumed.File, Entries: len(assumed.Entries),
			BadRows:        orEmpty(assumed.BadRows),
			IgnoredColumns: orEmpty(assumed.IgnoredColumns),
		},
		ObservedNotAssumed: []GapIdentity{},
		AssumedNotSeen:     []Entry{},
		Matches:            []Match{},
		Notes:              []string{},
	}
	if !obs.Since.IsZero() {
		r.Since = obs.Since.UTC()
	}

	// Match every entry against the observed identities.
	ix := newIndex(obs.Identities)
	known := make([]bool, len(obs.Identities))
	for _, e := range assumed.Entries {
		ids, key, value := ix.lookup(e)
		if len(ids) == 0 {
			r.AssumedNotSeen = append(r.AssumedNotSeen, e)
			continue
		}
		for _, i := range ids {
			known[i] = true
			o := obs.Identities[i]
			r.Matches = append(r.Matches, Match{
				Line: e.Line, Entry: e.Label(), AssumedClass: string(e.Class),
				IdentityID: o.ID, ObservedClass: classOf(o.Class), Key: key, Value: value,
			})
		}
	}
	knownID := make(map[string]bool, len(obs.Identities))

	// Count per class.
	counts := map[string]*ClassCounts{}
	for _, c := range append(slices.Clone(Classes), classUnknown) {
		counts[c] = &ClassCounts{Class: c}
	}
	for i, o := range obs.Identities {
		c := counts[classOf(o.Class)]
		c.Observed++
		if known[i] {
			knownID[o.ID] = true
			c.Matched++
			continue
		}
		c.ObservedNotAssumed++
		r.ObservedNotAssumed = append(r.ObservedNotAssumed, GapIdentity{
			IdentityID: o.ID, Class: classOf(o.Class), Kind: o.Kind, AccountType: o.AccountType,
			Name: o.Name(), Owner: o.Owner, Team: o.Team, AIServices: o.AIServices, Events: o.Events,
			FirstSeen: o.FirstSeen, LastSeen: o.LastSeen,
		})
	}
	for _, e := range assumed.Entries {
		counts[classOf(string(e.Class))].Assumed++
	}
	for _, e := range r.AssumedNotSeen {
		counts[classOf(string(e.Class))].AssumedNotSeen++
	}
	r.Total.Class = "total"
	for _, c := range append(slices.Clone(Classes), classUnknown) {
		cc := counts[c]
		if c == classUnknown && cc.Observed == 0 {
			continue
		}
		r.Classes = append(r.Classes, *cc)
		r.Total.Observed += cc.Observed
		r.Total.Assumed += cc.Assumed
		r.Total.Matched += cc.Matched
		r.Total.ObservedNotAssumed += cc.ObservedNotAssumed
		r.Total.AssumedNotSeen += cc.AssumedNotSeen
		if slices.Contains(aiClasses, c) {
			r.Headline.ObservedAI += cc.Observed
			r.Headline.KnownAI += cc.Matched
		}
	}
	if r.Headline.ObservedAI > 0 {
		r.Headline.KnownPercent = math.Round(1000*float64(r.Headline.KnownAI)/float64(r.Headline.ObservedAI)) / 10
	}
	noun := "AI identities"
	if r.Headline.ObservedAI == 1 {
		noun = "AI identity"
	}
	r.Headline.Text = fmt.Sprintf("observed %d %s, the assumed inventory knew %d (%s%%)",
		r.Headline.ObservedAI, noun, r.Headline.KnownAI, formatPercent(r.Headline.KnownPercent))

	byClassThenID := func(ci, cj string, a, b string) int {
		return cmp.Or(cmp.Compare(classRank(ci), classRank(cj)), cmp.Compare(a, b))
	}
	slices.SortStableFunc(r.ObservedNotAssumed, func(a, b GapIdentity) int {
		return byClassThenID(a.Class, b.Class, a.IdentityID, b.IdentityID)
	})
	slices.SortStableFunc(r.AssumedNotSeen, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(classRank(string(a.Class)), classRank(string(b.Class))), cmp.Compare(a.Line, b.Line))
	})
	slices.SortStableFunc(r.Matches, func(a, b Match) int {
		return cmp.Or(byClassThenID(a.ObservedClass, b.ObservedClass, a.IdentityID, b.IdentityID), cmp.Compare(a.Line, b.Line))
	})

	// Shadow AI.
	r.ShadowAI = ShadowAI{Services: orEmpty(obs.ShadowServices), Identities: []ShadowIdentity{}, PersonalAccounts: []PersonalAIUse{}}
	for _, o := range obs.Identities {
		if o.ShadowEvents > 0 {
			r.ShadowAI.Identities = append(r.ShadowAI.Identities, ShadowIdentity{
				IdentityID: o.ID, Class: classOf(o.Class), AccountType: o.AccountType,
				Services: o.ShadowServices, Events: o.ShadowEvents, Known: knownID[o.ID],
			})
		}
		if o.PersonalAIEvents > 0 {
			r.ShadowAI.PersonalAccounts = append(r.ShadowAI.PersonalAccounts, PersonalAIUse{
				IdentityID: o.ID, Class: classOf(o.Class), Services: o.PersonalAIServices,
				Events: o.PersonalAIEvents, Known: knownID[o.ID],
			})
		}
	}
	slices.SortStableFunc(r.ShadowAI.Identities, func(a, b ShadowIdentity) int {
		return cmp.Or(cmp.Compare(b.Events, a.Events), cmp.Compare(a.IdentityID, b.IdentityID))
	})
	slices.SortStableFunc(r.ShadowAI.PersonalAccounts, func(a, b PersonalAIUse) int {
		return cmp.Or(cmp.Compare(b.Events, a.Events), cmp.Compare(a.IdentityID, b.IdentityID))
	})

	// High-risk patterns, in the order their queries give, each marked
	// known or not.
	hr := HighRisk{
		PersonalSensitive:      slices.Clone(orEmpty(obs.PersonalSensitive)),
		SharedCredentialAgents: slices.Clone(orEmpty(obs.SharedCredentialAgents)),
		DevToProd:              slices.Clone(orEmpty(obs.DevToProd)),
		BroadPermissionAgents:  slices.Clone(orEmpty(obs.BroadPermissionAgents)),
		PermissionSnapshots:    obs.PermissionSnapshots,
		MinUnusedShare:         opts.MinUnusedShare,
	}
	for i := range hr.PersonalSensitive {
		hr.PersonalSensitive[i].Known = knownID[hr.PersonalSensitive[i].IdentityID]
	}
	owners := make(map[string]*ObservedIdentity, len(obs.Identities))
	for i := range obs.Identities {
		owners[obs.Identities[i].ID] = &obs.Identities[i]
	}
	for i := range hr.SharedCredentialAgents {
		a := &hr.SharedCredentialAgents[i]
		a.Known = knownID[a.IdentityID]
		if o := owners[a.IdentityID]; o != nil {
			a.Owner, a.Team = o.Owner, o.Team
		}
	}
	for i := range hr.DevToProd {
		hr.DevToProd[i].Known = knownID[hr.DevToProd[i].IdentityID]
	}
	for i := range hr.BroadPermissionAgents {
		hr.BroadPermissionAgents[i].Known = knownID[hr.BroadPermissionAgents[i].IdentityID]
	}
	r.HighRisk = hr

	if !obs.PermissionSnapshots {
		r.Notes = append(r.Notes, NoPermissionSnapshots)
	}
	if assumed.File == "" {
		r.Notes = append(r.Notes, "no assumed inventory given: every observed identity is in the gap")
	}
	switch n := len(assumed.BadRows); n {
	case 0:
	case 1:
		r.Notes = append(r.Notes, "1 row of the assumed inventory was skipped (see bad rows)")
	default:
		r.Notes = append(r.Notes, fmt.Sprintf("%d rows of the assumed inventory were skipped (see bad rows)", n))
	}
	if len(obs.Identities) == 0 {
		r.Notes = append(r.Notes, "no identity was observed in the window")
	}
	return r
}

// classOf returns c when it is one of Classes, else unknown.
func classOf(c string) string {
	if slices.Contains(Classes, c) {
		return c
	}
	return classUnknown
}

// classRank orders classes as Classes does, unknown last.
func classRank(c string) int {
	if i := slices.Index(Classes, c); i >= 0 {
		return i
	}
	return len(Classes)
}

// formatPercent formats a percentage as every format shows it.
func formatPercent(p float64) string { return strconv.FormatFloat(p, 'f', 1, 64) }

// orEmpty returns s, or an empty slice for nil, so that JSON shows [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Measure is one number of the report by a stable name, formatted as every
// format shows it.
type Measure struct {
	// Name is dotted: headline.observed_ai, class.ai_agent.matched,
	// shadow_ai.service.chatgpt.identities, high_risk.dev_identities_reaching_prod.
	Name string
	// Value is the number as text (a percentage with one decimal).
	Value string
}

// Measures returns every number of the report, in a fixed order. The HTML
// report marks each with data-measure and data-value; the CSV has a row for
// each; tests compare them.
func (r *Report) Measures() []Measure {
	var ms []Measure
	add := func(name string, v int64) { ms = append(ms, Measure{name, strconv.FormatInt(v, 10)}) }
	// The first component of a name is the CSV section of its row.
	add("headline.observed_ai", int64(r.Headline.ObservedAI))
	add("headline.known_ai", int64(r.Headline.KnownAI))
	ms = append(ms, Measure{"headline.known_percent", formatPercent(r.Headline.KnownPercent)})
	add("assumed.entries", int64(r.Assumed.Entries))
	add("assumed.bad_rows", int64(len(r.Assumed.BadRows)))
	for _, c := range append(slices.Clone(r.Classes), r.Total) {
		for _, m := range c.measures() {
			add("class."+c.Class+"."+m.name, m.value)
		}
	}
	add("list.observed_not_assumed", int64(len(r.ObservedNotAssumed)))
	add("list.assumed_not_seen", int64(len(r.AssumedNotSeen)))
	add("list.matches", int64(len(r.Matches)))
	add("shadow_ai.services", int64(len(r.ShadowAI.Services)))
	add("shadow_ai.identities", int64(len(r.ShadowAI.Identities)))
	add("shadow_ai.personal_accounts", int64(len(r.ShadowAI.PersonalAccounts)))
	for _, s := range r.ShadowAI.Services {
		for _, m := range s.measures() {
			add(shadowServicePrefix+s.Service+"."+m.name, m.value)
		}
	}
	add("high_risk.personal_accounts_sensitive_data", int64(len(r.HighRisk.PersonalSensitive)))
	add("high_risk.agents_on_shared_credentials", int64(len(r.HighRisk.SharedCredentialAgents)))
	add("high_risk.dev_identities_reaching_prod", int64(len(r.HighRisk.DevToProd)))
	add("high_risk.agents_with_broad_permissions", int64(len(r.HighRisk.BroadPermissionAgents)))
	return ms
}

// shadowServicePrefix starts the names of the measures of one shadow
// service: shadow_ai.service.<service>.<measure>.
const shadowServicePrefix = "shadow_ai.service."

// namedCount is a count by the name its measure ends with.
type namedCount struct {
	name  string
	value int64
}

func (c ClassCounts) measures() []namedCount {
	return []namedCount{
		{"observed", int64(c.Observed)}, {"assumed", int64(c.Assumed)}, {"matched", int64(c.Matched)},
		{"observed_not_assumed", int64(c.ObservedNotAssumed)}, {"assumed_not_seen", int64(c.AssumedNotSeen)},
	}
}

func (s ShadowService) measures() []namedCount {
	return []namedCount{
		{"identities", s.Identities}, {"personal_identities", s.PersonalIdentities},
		{"events", s.Events}, {"tokens", s.Tokens},
	}
}
