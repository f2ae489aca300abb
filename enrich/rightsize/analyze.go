package rightsize

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// GrantRow is one permission an identity holds in its latest snapshots,
// all its grants of it folded together.
type GrantRow struct {
	IdentityID  string
	Provider    string
	Permission  string
	AccessLevel string
	Sensitive   string
	Resources   []string
	GrantedVia  []string
	Policies    []string
}

// UsageRow is one kind of successful action of an identity in the window.
type UsageRow struct {
	IdentityID string
	Action     Action
	Uses       int64
	First      time.Time
	Last       time.Time
	// Targets are some of the resources acted on (events.target_id), at
	// most maxTargets.
	Targets []string
}

// IdentityInfo is what the inventory knows of an identity.
type IdentityInfo struct {
	Class     string
	Kind      string
	FirstSeen time.Time
}

// Input is what an analysis reads.
type Input struct {
	Grants     []GrantRow
	Usage      []UsageRow
	Identities map[string]IdentityInfo
}

// Options of an analysis.
type Options struct {
	// Now is the end of the window and the run time. Default time.Now.
	Now time.Time
	// Config is the window and the trust thresholds.
	Config Config
}

// maxTargets bounds the resources kept per permission and the resources
// a recommendation names before it keeps the granted ones.
const maxTargets = 20

// classOrder ranks classes: agents first, builders next, users last, then
// the identities outside the AI classes.
var classOrder = map[string]int{"ai_agent": 0, "ai_builder": 1, "ai_user": 2, "service": 3, "human": 4, "unknown": 5}

// ClassOrder lists the classes in the order recommendations apply.
var ClassOrder = []string{"ai_agent", "ai_builder", "ai_user", "service", "human", "unknown"}

func classRank(c string) int {
	if r, ok := classOrder[c]; ok {
		return r
	}
	return len(classOrder)
}

// acc accumulates one identity.
type acc struct {
	id       *Identity
	perms    map[string]*Permission // by lower-case name
	notGrant map[string]*Permission
	first    time.Time
	unmapped map[string]int64
}

// Analyze computes the report from what was read. It is a pure function
// of in and opts.
func Analyze(in Input, opts Options) *Report {
	z := newAnalyzer(in.Identities, opts)
	for i := range in.Grants {
		z.grant(&in.Grants[i])
	}
	for i := range in.Usage {
		z.usage(&in.Usage[i])
	}
	return z.report()
}

// analyzer folds grants, then usage, into per-identity accumulators, so
// that Build streams rows from ClickHouse without holding them all.
type analyzer struct {
	identities map[string]IdentityInfo
	cfg        Config
	now, start time.Time
	accs       map[string]*acc
}

func newAnalyzer(identities map[string]IdentityInfo, opts Options) *analyzer {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	cfg := opts.Config
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	return &analyzer{identities: identities, cfg: cfg, now: now, start: now.Add(-cfg.Window), accs: map[string]*acc{}}
}

// grant adds one granted permission.
func (z *analyzer) grant(g *GrantRow) {
	a := z.accs[g.IdentityID]
	if a == nil {
		info := z.identities[g.IdentityID]
		class := info.Class
		if class == "" {
			class = "unknown"
		}
		a = &acc{
			id:       &Identity{ID: g.IdentityID, Provider: g.Provider, Class: class, Kind: info.Kind},
			perms:    map[string]*Permission{},
			notGrant: map[string]*Permission{},
			first:    info.FirstSeen,
			unmapped: map[string]int64{},
		}
		z.accs[g.IdentityID] = a
	}
	key := strings.ToLower(g.Permission)
	p := a.perms[key]
	if p == nil {
		// Load's lists come sorted and distinct: taken as they are.
		a.perms[key] = &Permission{Name: g.Permission, Granted: true, AccessLevel: g.AccessLevel, Sensitive: g.Sensitive,
			GrantedResources: g.Resources, GrantedVia: g.GrantedVia, Policies: g.Policies}
		return
	}
	p.GrantedResources = union(p.GrantedResources, g.Resources)
	p.GrantedVia = union(p.GrantedVia, g.GrantedVia)
	p.Policies = union(p.Policies, g.Policies)
}

// usage adds one usage row; rows of identities without grants are
// ignored (nothing to rightsize).
func (z *analyzer) usage(u *UsageRow) {
	a := z.accs[u.IdentityID]
	if a == nil {
		return
	}
	id := a.id
	id.Events += u.Uses
	if id.FirstEvent.IsZero() || u.First.Before(id.FirstEvent) {
		id.FirstEvent = u.First
	}
	if u.Last.After(id.LastEvent) {
		id.LastEvent = u.Last
	}
	perms := Permissions(u.Action)
	if len(perms) == 0 {
		if needsNoPermission(u.Action) {
			return
		}
		id.UnmappedEvents += u.Uses
		a.unmapped[u.Action.Product+" "+strings.TrimSpace(u.Action.Service+" "+u.Action.Name)] += u.Uses
		return
	}
	if len(perms) == 1 && perms[0] == appPermission {
		// Each application signed in to is a use of its own assignment.
		for _, t := range u.Targets {
			if t != "" {
				a.use([]string{appPermission + t}, []string{t}, u)
			}
		}
		return
	}
	a.use(perms, u.Targets, u)
}

// report finishes every identity and the totals.
func (z *analyzer) report() *Report {
	now, start, cfg := z.now, z.start, z.cfg
	r := &Report{
		GeneratedAt: now, WindowStart: start, WindowEnd: now,
		MinDays: cfg.MinDays, MinEvents: cfg.MinEvents,
	}
	for _, a := range z.accs {
		id := a.id
		for _, p := range a.perms {
			id.Permissions = append(id.Permissions, *p)
		}
		for _, p := range a.notGrant {
			id.Permissions = append(id.Permissions, *p)
		}
		slices.SortFunc(id.Permissions, func(x, y Permission) int { return strings.Compare(x.Name, y.Name) })
		for i := range id.Permissions {
			p := &id.Permissions[i]
			if !p.Granted {
				continue
			}
			id.Granted++
			if p.Used {
				id.Used++
			}
			if p.Sensitive != "" {
				id.SensitiveGranted++
				if !p.Used {
					id.SensitiveUnused++
					id.SensitiveUnusedList = append(id.SensitiveUnusedList, p.Name)
				}
			}
		}
		id.Unused = id.Granted - id.Used
		id.UsedNotGranted = len(a.notGrant)
		if id.Granted > 0 {
			id.UnusedShare = round3(float64(id.Unused) / float64(id.Granted))
		}
		for k, n := range a.unmapped {
			id.Unmapped = append(id.Unmapped, fmt.Sprintf("%s (%d)", k, n))
		}
		sort.Strings(id.Unmapped)

		observedFrom := start
		first := a.first
		if first.IsZero() {
			first = id.FirstEvent
		}
		if !first.IsZero() && first.After(start) {
			observedFrom = first
		}
		id.ObservedDays = math.Max(0, math.Round(now.Sub(observedFrom).Hours()/24*10)/10)
		var why []string
		if id.ObservedDays < float64(cfg.MinDays) {
			why = append(why, fmt.Sprintf("observed %.1f days, fewer than %d", id.ObservedDays, cfg.MinDays))
		}
		if id.Events < cfg.MinEvents {
			why = append(why, fmt.Sprintf("%d events, fewer than %d", id.Events, cfg.MinEvents))
		}
		id.Trusted = len(why) == 0
		id.UntrustedReason = strings.Join(why, "; ")
		if id.Trusted {
			id.Removable = id.Unused
			id.SensitiveRemovable = id.SensitiveUnused
		}
		for i := range id.Permissions {
			p := &id.Permissions[i]
			p.Kept = p.Granted && p.Used
		}
		id.Recommendation = recommend(id)
		r.Identities = append(r.Identities, *id)
	}
	sort.Slice(r.Identities, func(i, j int) bool {
		a, b := &r.Identities[i], &r.Identities[j]
		if ra, rb := classRank(a.Class), classRank(b.Class); ra != rb {
			return ra < rb
		}
		if a.Removable != b.Removable {
			return a.Removable > b.Removable
		}
		if a.Unused != b.Unused {
			return a.Unused > b.Unused
		}
		return a.ID < b.ID
	})
	for i := range r.Identities {
		r.Identities[i].Priority = i + 1
	}
	r.totals()
	return r
}

// totals sums the identities per class, for the AI classes and overall.
func (r *Report) totals() {
	by := map[string]*Totals{}
	for i := range r.Identities {
		id := &r.Identities[i]
		t := by[id.Class]
		if t == nil {
			t = &Totals{}
			by[id.Class] = t
		}
		t.add(id)
		r.Overall.add(id)
		if id.Class == "ai_agent" || id.Class == "ai_builder" || id.Class == "ai_user" {
			r.AI.add(id)
		}
	}
	for _, c := range ClassOrder {
		if t := by[c]; t != nil {
			t.finish()
			r.Classes = append(r.Classes, ClassTotals{Class: c, Totals: *t})
			delete(by, c)
		}
	}
	var rest []string
	for c := range by {
		rest = append(rest, c)
	}
	sort.Strings(rest)
	for _, c := range rest {
		by[c].finish()
		r.Classes = append(r.Classes, ClassTotals{Class: c, Totals: *by[c]})
	}
	r.Overall.finish()
	r.AI.finish()
}

func (t *Totals) add(id *Identity) {
	t.Identities++
	if id.Trusted {
		t.Trusted++
	}
	t.Granted += int64(id.Granted)
	t.Used += int64(id.Used)
	t.Unused += int64(id.Unused)
	t.SensitiveGranted += int64(id.SensitiveGranted)
	t.SensitiveUnused += int64(id.SensitiveUnused)
	t.Removable += int64(id.Removable)
	t.SensitiveRemovable += int64(id.SensitiveRemovable)
}

func (t *Totals) finish() {
	if t.Granted > 0 {
		t.UnusedShare = round3(float64(t.Unused) / float64(t.Granted))
		t.Reduction = round3(float64(t.Removable) / float64(t.Granted))
	}
	if t.SensitiveGranted > 0 {
		t.SensitiveReduction = round3(float64(t.SensitiveRemovable) / float64(t.SensitiveGranted))
	}
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// union returns a with the elements of b it lacks, sorted.
func union(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	seen := make(map[string]bool, len(a)+len(b))
	out := make([]string, 0, len(a)+len(b))
	for _, l := range [][]string{a, b} {
		for _, x := range l {
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	sort.Strings(out)
	return out
}

func nonEmpty(l []string) []string {
	out := l[:0:0]
	for _, x := range l {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// addTargets adds the targets a lacks, keeping at most maxTargets (and
// saying when there were more), sorted. The lists are short: a linear
// search beats a map.
func addTargets(a, targets []string, many bool) ([]string, bool) {
	added := false
	for _, t := range targets {
		if t == "" || slices.Contains(a, t) {
			continue
		}
		if len(a) == maxTargets {
			many = true
			break
		}
		a = append(a, t)
		added = true
	}
	if added {
		sort.Strings(a)
	}
	return a, many
}

// use records a usage row's uses of perms on targets: of the granted
// permission they name, or, when none is granted, of the first as used
// but not granted.
func (a *acc) use(perms, targets []string, u *UsageRow) {
	granted := false
	for _, name := range perms {
		if p := a.perms[strings.ToLower(name)]; p != nil {
			granted = true
			p.Used = true
			p.Uses += u.Uses
			if u.Last.After(p.LastUsed) {
				p.LastUsed = u.Last
			}
			p.UsedResources, p.ManyResources = addTargets(p.UsedResources, targets, p.ManyResources)
		}
	}
	if granted || len(perms) == 0 {
		return
	}
	key := strings.ToLower(perms[0])
	p := a.notGrant[key]
	if p == nil {
		p = &Permission{Name: perms[0], Used: true}
		a.notGrant[key] = p
	}
	p.Uses += u.Uses
	if u.Last.After(p.LastUsed) {
		p.LastUsed = u.Last
	}
	p.UsedResources, p.ManyResources = addTargets(p.UsedResources, targets, p.ManyResources)
}
