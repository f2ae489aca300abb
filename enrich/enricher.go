// Package enrich is the enrich stage (Discover): it consumes normalized
// events keyed by identity, keeps the inventory of every identity seen
// (class and evidence, accounts, owner and team, AI services used, data
// and environments reached), and produces each event with its Enrichment
// filled: the identity's class, confidence and evidence, owner, team and
// peer group, the environments of the identity and of the target, the
// sensitivity of the data touched, whether the AI service used is
// sanctioned or shadow AI, whether the event falls outside the working
// hours of the person the identity belongs to, and how many workloads use
// its credential at once.
//
// The inventory is checkpointed to a compacted changelog topic at every
// batch and restored when partitions are assigned, so a restart folds no
// event twice and loses none. The lookups (AI service catalog, people
// directory, environment and classification maps) are in-memory indexes
// reloaded when their files change; a bad file keeps the previous version
// serving.
//
// Subpackages: catalog (the AI service catalog), classify (identity
// classes from evidence), accounts (corporate or personal), directory
// (people directory exports), contextmap (environments and data
// classification), inventory (per-identity state), workhours (working
// weeks and time zones).
package enrich

import (
	"cmp"
	"strings"
	"time"

	"github.com/aitdr/aitdr/enrich/catalog"
	"github.com/aitdr/aitdr/enrich/classify"
	"github.com/aitdr/aitdr/enrich/directory"
	"github.com/aitdr/aitdr/enrich/inventory"
	"github.com/aitdr/aitdr/enrich/workhours"
	"github.com/aitdr/aitdr/schemas"
)

// hostAttributes are the event attributes that name the host an AI API
// request went to, in order of preference, for sources other than
// CloudTrail and AI gateways (whose attribute is known).
var hostAttributes = []string{"gateway.api_base_host", "http.host", "url.domain", "server.address"}

// idpProducts are sources whose events about an AI application are the
// IdP's (sign-ins, assignments), not the application's own.
func idpProduct(p schemas.Product) bool {
	return p == schemas.ProductOkta || p == schemas.ProductEntra
}

// defaultFindingSensitivity is the sensitivity of the data a prompt
// finding reveals; types not listed are confidential.
var defaultFindingSensitivity = map[schemas.DataType]schemas.Sensitivity{
	schemas.DataCreditCard: schemas.SensitivityRestricted, schemas.DataNationalID: schemas.SensitivityRestricted,
	schemas.DataBankAccount: schemas.SensitivityRestricted, schemas.DataHealthRecord: schemas.SensitivityRestricted,
	schemas.DataPrivateKey: schemas.SensitivityRestricted, schemas.DataPassword: schemas.SensitivityRestricted,
	schemas.DataCloudCredential: schemas.SensitivityRestricted, schemas.DataAPIKey: schemas.SensitivityRestricted,
}

// maxCache bounds each lookup cache; a full cache is cleared.
const maxCache = 8192

// maxInterned bounds the strings shared between identities.
const maxInterned = 1 << 16

// Enricher enriches events in process and keeps the inventory of the
// identities it saw. It is what the Stage runs per record; benchmarks and
// tests use it directly. It is not safe for concurrent use, except that
// the lookups it reads may be reloaded concurrently.
type Enricher struct {
	current     func() *Lookups
	window      time.Duration
	memory      time.Duration
	findingSens map[schemas.DataType]schemas.Sensitivity
	// week is the working week of people whose directory entry gives
	// none, and its Location the time zone of those whose entry names
	// none (nil: not judged).
	week workhours.Week

	states map[string]*inventory.State
	creds  map[string]*credentialUse
	dirty  []*inventory.State
	// strings shares the strings many identities hold.
	strings *inventory.Interner
	// latest is the latest event time seen, the clock of the credential
	// memory.
	latest time.Time

	// Caches of catalog and context lookups, valid for cacheVersion.
	cacheVersion uint64
	hostCache    map[string]*catalog.Service
	actionCache  map[actionKey]actionResult
	appCache     map[string]*catalog.Service
	targetCache  map[targetKey]targetContext
	// workloadBuf is scratch space for counting a credential's workloads.
	workloadBuf []inventory.Workload
}

type actionKey struct{ source, name string }

type actionResult struct {
	m  catalog.Match
	ok bool
}

// targetKey is what a target's context depends on: its id (or name), type
// and tenant, and where the event was recorded.
type targetKey struct{ id, typ, tenant, scope string }

type targetContext struct {
	env  schemas.Environment
	sens schemas.Sensitivity
}

// NewEnricher returns an Enricher reading its lookups from current (a
// Reloader's Current, or a function returning fixed lookups).
func NewEnricher(cfg Config, current func() *Lookups) *Enricher {
	if cfg.SharedCredentialWindow <= 0 {
		cfg.SharedCredentialWindow = DefaultSharedCredentialWindow
	}
	if cfg.CredentialMemory <= 0 {
		cfg.CredentialMemory = DefaultCredentialMemory
	}
	fs := make(map[schemas.DataType]schemas.Sensitivity, len(defaultFindingSensitivity)+len(cfg.FindingSensitivity))
	for k, v := range defaultFindingSensitivity {
		fs[k] = v
	}
	for k, v := range cfg.FindingSensitivity {
		fs[schemas.DataType(k)] = v
	}
	week, err := cfg.WorkingHours.Week()
	if err != nil {
		// Config.Validate refuses it; a caller that skipped it gets the
		// default working day and no default time zone.
		week, _ = WorkingHours{}.Week()
	}
	return &Enricher{
		current:     current,
		window:      cfg.SharedCredentialWindow,
		memory:      cfg.CredentialMemory,
		findingSens: fs,
		week:        week,
		states:      map[string]*inventory.State{},
		creds:       map[string]*credentialUse{},
		strings:     inventory.NewInterner(maxInterned),
	}
}

// Identities returns the number of identities in the inventory.
func (x *Enricher) Identities() int { return len(x.states) }

// Identity returns the state of an identity, or nil. The state must not be
// modified.
func (x *Enricher) Identity(id string) *inventory.State { return x.states[id] }

// Dirty returns the states changed since ClearDirty was last called. The
// slice is valid until the next call of Enrich or ClearDirty.
func (x *Enricher) Dirty() []*inventory.State { return x.dirty }

// ClearDirty forgets the changed states once they are written: their
// Dirty flags are cleared, and the next change adds them again.
func (x *Enricher) ClearDirty() {
	for _, s := range x.dirty {
		s.Dirty = false
	}
	clear(x.dirty)
	x.dirty = x.dirty[:0]
}

func (x *Enricher) markDirty(s *inventory.State) {
	if !s.Dirty {
		s.Dirty = true
		x.dirty = append(x.dirty, s)
	}
}

// lookups returns the current lookups, clearing the caches when they
// changed.
func (x *Enricher) lookups() *Lookups {
	l := x.current()
	if l.Version != x.cacheVersion || x.hostCache == nil {
		x.cacheVersion = l.Version
		x.hostCache = make(map[string]*catalog.Service, 64)
		x.actionCache = make(map[actionKey]actionResult, 64)
		x.appCache = make(map[string]*catalog.Service, 64)
		x.targetCache = make(map[targetKey]targetContext, 64)
	}
	return l
}

// Enrich fills ev.Enrichment (and the target's environment and
// sensitivity, and the principal's account type, where the source left
// them empty) and folds ev into its identity's inventory. offset is the
// event's input offset on partition, or -1 when it has none: an event at
// or below the identity's last folded offset is a replay and is enriched
// without being folded again. It returns the identity's state, or nil
// for an event without identity.
func (x *Enricher) Enrich(ev *schemas.Event, partition int32, offset int64) *inventory.State {
	lk := x.lookups()
	ai := x.resolveAI(lk, ev)
	x.targetContext(lk, ev)
	en := &ev.Enrichment
	en.DataSensitivity = x.dataSensitivity(ev)

	id := ev.Identity.ID
	if id == "" {
		en.AIServiceStatus = ai.status(ev.Identity.AccountType)
		return nil
	}
	st := x.states[id]
	if st == nil {
		st = inventory.New(id, partition)
		x.states[id] = st
	}
	workloads := int32(-1)
	if offset < 0 || offset > st.Offset {
		workloads = x.fold(lk, st, ev, ai)
		if offset >= 0 {
			st.Offset = offset
		}
		x.markDirty(st)
	}
	if ev.Identity.AccountType == "" || ev.Identity.AccountType == schemas.AccountUnknown {
		if t := st.Resolved.AccountType; t != "" && t != schemas.AccountUnknown {
			ev.Identity.AccountType = t
		}
	}
	row := &st.Identity
	en.Class = row.Class
	en.ClassConfidence = row.ClassConfidence
	en.ClassEvidence = row.ClassEvidence
	en.Owner = row.Owner
	en.Team = row.Team
	en.PeerGroup = row.PeerGroup
	en.Environment = st.Resolved.Environment
	en.AIServiceStatus = ai.status(ev.Identity.AccountType)
	en.Registered = row.Registered
	en.IdentityFirstSeen = row.FirstSeen
	en.OffHours = st.Resolved.Week.Off(ev.Time)
	if workloads < 0 {
		// A replay is counted against the workloads already recorded.
		workloads = x.credentialWorkloads(st, ev)
	}
	en.CredentialWorkloads = workloads
	return st
}

// fold adds ev to st: identity context, evidence, inventory, class. It
// returns the workloads using the event's credential at once
// (enrichment.credential_workloads).
func (x *Enricher) fold(lk *Lookups, st *inventory.State, ev *schemas.Event, ai aiMatch) int32 {
	if ev.Time.After(x.latest) {
		x.latest = ev.Time
	}
	use := classify.AIUse{Use: ai.use}
	if ai.use != "" {
		use.Service, use.Action, use.Via = ai.name(ev), ev.Action.Name, ai.gateway
	}
	// The event's own evidence first: whether the directory's entry is a
	// person's account depends on it.
	changed := classify.Observe(ev, use, &st.Evidence)
	if x.resolveIdentity(lk, st, ev) {
		changed = true
	}
	var svc inventory.AIService
	if ai.use != "" && ai.use != catalog.UseAdmin {
		svc = inventory.AIService{Provider: ai.provider(ev), Service: ai.id(ev), Status: ai.status(st.Resolved.AccountType), Model: ev.AI.Model}
	}
	var client string
	var workloads int32
	if ev.Identity.CredentialID != "" {
		client = clientOf(ev.Network.UserAgent)
		if x.observeCredential(st, ev, client) {
			changed = true
		}
	}
	st.Fold(ev, st.Resolved.AccountType, svc, x.strings)
	if ev.Identity.CredentialID != "" {
		noteClient(st, ev, client)
		var flagged bool
		if workloads, flagged = x.noteWorkload(st, ev); flagged {
			changed = true
		}
	}
	if b := classify.Bucket(st.Identity.Events); changed || b != st.Bucket || st.Identity.Class == "" {
		st.Bucket = b
		x.decide(st)
	}
	return workloads
}

// decide classifies st again from its evidence.
func (x *Enricher) decide(st *inventory.State) {
	r := classify.Decide(&st.Evidence, st.Identity.Events)
	for i, e := range r.Evidence {
		r.Evidence[i] = x.strings.Intern(e)
	}
	row := &st.Identity
	row.Class, row.ClassConfidence, row.ClassEvidence, row.Kind = r.Class, r.Confidence, r.Evidence, r.Kind
	row.PeerGroup = x.strings.Intern(peerGroup(row.Class, row.Team))
	x.markDirty(st)
}

// personWeek is the working week of a person: their directory hours and
// time zone, else the configured working day and default time zone.
func (x *Enricher) personWeek(p *directory.Person) workhours.Week {
	w := x.week
	if !p.WorkingHours.IsZero() {
		w.Hours = p.WorkingHours
	}
	if p.TimeZone != nil {
		w.Location = p.TimeZone
	}
	return w
}

func peerGroup(class schemas.IdentityClass, team string) string {
	if team == "" {
		return string(class)
	}
	return string(class) + "/" + team
}

// resolveIdentity resolves the identity's owner, team, directory person,
// account type and environment when the lookups changed or the event tells
// something new (an account, an e-mail, an owner), and reports whether the
// evidence changed.
func (x *Enricher) resolveIdentity(lk *Lookups, st *inventory.State, ev *schemas.Event) bool {
	p := &ev.Identity
	r := &st.Resolved
	fresh := r.Version == lk.Version && r.Account == p.Account && r.SourceAccountType == p.AccountType &&
		(p.Email == "" || st.Identity.Email != "") && (p.Owner == "" || r.SourceOwner == p.Owner)
	if fresh {
		return false
	}
	changed := false
	r.Version, r.Account, r.SourceAccountType = lk.Version, x.strings.Intern(p.Account), p.AccountType
	if p.Owner != "" {
		r.SourceOwner = p.Owner
	}
	row := &st.Identity
	person, found := lk.Directory.Lookup(p.ID, p.Email, p.UID, p.Name)
	r.Linked = found
	ev2 := &st.Evidence
	nonPerson := ev2.Has(classify.SourceService) || ev2.Has(classify.SourceAgent) ||
		ev2.Has(classify.NonHumanType) || ev2.Has(classify.ServiceName)
	r.Week = workhours.Week{}
	switch {
	case found && person.Email != "" && !nonPerson:
		// The directory lists the identity as a person's account: its
		// hours are the person's.
		changed = ev2.Add(classify.DirectoryPerson, person.Key())
		row.Owner, row.Team = person.Key(), person.Team
		r.Week = x.personWeek(person)
		if row.DisplayName == "" {
			row.DisplayName = person.DisplayName
		}
		if row.Email == "" {
			row.Email = person.Email
		}
	case found:
		// A non-person listed in the directory (a service account's
		// entry, a workload of a CMDB export, without a mailbox): its
		// owner owns it, else its manager.
		row.Owner, row.Team = cmp.Or(person.Owner, person.Manager, person.Key()), person.Team
		if owner, ok := lk.Directory.Lookup(row.Owner); ok && owner != person {
			row.Owner = owner.Key()
			if row.Team == "" {
				row.Team = owner.Team
			}
		}
	case r.SourceOwner != "":
		row.Owner = r.SourceOwner
		if owner, ok := lk.Directory.Lookup(r.SourceOwner); ok {
			row.Owner, row.Team = owner.Key(), owner.Team
		}
	}
	if row.Team == "" {
		row.Team = ev.Attributes["gateway.team_alias"]
	}
	row.PeerGroup = x.strings.Intern(peerGroup(row.Class, row.Team))
	d := lk.Accounts.Resolve(p, r.Linked, ev.Attributes)
	r.AccountType = d.Type
	if env, ok := lk.Context.IdentityEnvironment(p); ok {
		r.Environment = env
	} else {
		r.Environment = ""
	}
	return changed
}

// dataSensitivity is the higher of the target's classification and what
// the prompt findings reveal.
func (x *Enricher) dataSensitivity(ev *schemas.Event) schemas.Sensitivity {
	s := ev.Target.Sensitivity
	for _, f := range ev.AI.Findings {
		if f.Confidence > 0 && f.Confidence < 0.5 {
			continue
		}
		fs, ok := x.findingSens[f.Type]
		if !ok {
			fs = schemas.SensitivityConfidential
		}
		if fs.Rank() > s.Rank() {
			s = fs
		}
	}
	return s
}

// targetContext sets the target's environment and sensitivity from the
// context maps where the source left them empty.
func (x *Enricher) targetContext(lk *Lookups, ev *schemas.Event) {
	t := &ev.Target
	if t.Environment != "" && t.Sensitivity != "" {
		return
	}
	envs, classes := lk.Context.Entries()
	if envs+classes == 0 {
		return
	}
	key := targetKey{t.ID, t.Type, t.Tenant, ev.Source.Project}
	if key.id == "" {
		key.id = t.Name
	}
	if key.scope == "" {
		key.scope = ev.Source.Account
	}
	c, ok := x.targetCache[key]
	if !ok {
		c.env, _ = lk.Context.TargetEnvironment(ev)
		c.sens, _ = lk.Context.Sensitivity(t)
		if len(x.targetCache) >= maxCache {
			clear(x.targetCache)
		}
		x.targetCache[key] = c
	}
	if t.Environment == "" {
		t.Environment = c.env
	}
	if t.Sensitivity == "" {
		t.Sensitivity = c.sens
	}
}

// aiMatch is the AI service an event used, as resolved.
type aiMatch struct {
	// svc is the catalog entry, nil when the event used none or one the
	// catalog does not know.
	svc *catalog.Service
	// use is what the event did with it; empty when it did not use it
	// (an IdP's assignment of an AI app, a failed sign-in).
	use catalog.Use
	// gateway names the AI gateway the request went through.
	gateway string
	// unknown is true when the event has an AI context the catalog does
	// not know.
	unknown bool
}

func (m aiMatch) status(account schemas.AccountType) schemas.AIServiceStatus {
	switch {
	case m.svc != nil:
		if m.svc.Sanctioned && account != schemas.AccountPersonal {
			return schemas.AIServiceSanctioned
		}
		return schemas.AIServiceShadow
	case m.unknown:
		return schemas.AIServiceUnknown
	}
	return ""
}

func (m aiMatch) id(ev *schemas.Event) string {
	if m.svc != nil {
		return m.svc.ID
	}
	if ev.AI.Service != "" {
		return ev.AI.Service
	}
	return ev.AI.Provider
}

func (m aiMatch) provider(ev *schemas.Event) string {
	if m.svc != nil {
		return m.svc.Provider
	}
	return ev.AI.Provider
}

func (m aiMatch) name(ev *schemas.Event) string {
	if m.svc != nil {
		return m.svc.Name
	}
	return m.id(ev)
}

// resolveAI finds the AI service an event used: by its audit-log action,
// then the AI context ingest set (provider and service), then the API
// host, then the provider alone, then the application signed in to; and
// what the use means, from the action's rule or else the event's category.
func (x *Enricher) resolveAI(lk *Lookups, ev *schemas.Event) aiMatch {
	var m aiMatch
	c := lk.Catalog
	if ev.Action.Service != "" {
		k := actionKey{ev.Action.Service, ev.Action.Name}
		r, ok := x.actionCache[k]
		if !ok {
			r.m, r.ok = c.ByAction(ev.Action.Service, ev.Action.Name)
			if len(x.actionCache) >= maxCache {
				clear(x.actionCache)
			}
			x.actionCache[k] = r
		}
		if r.ok {
			m.svc, m.use = r.m.Service, r.m.Use
		}
	}
	if g, ok := strings.CutPrefix(ev.AI.Service, "gateway:"); ok {
		m.gateway = g
	}
	if m.svc == nil {
		m.svc, _ = c.ByAIPair(ev.AI.Provider, ev.AI.Service)
	}
	if m.svc == nil {
		m.svc = x.byHost(c, ev)
	}
	if m.svc == nil && ev.AI.Provider != "" {
		m.svc, _ = c.ByAI(ev.AI.Provider, "")
	}
	if m.svc == nil && (ev.Target.Type == "application" || ev.Target.Type == "service_principal") && ev.Target.Name != "" {
		s, ok := x.appCache[ev.Target.Name]
		if !ok {
			s, _ = c.ByApp(ev.Target.Name)
			if len(x.appCache) >= maxCache {
				clear(x.appCache)
			}
			x.appCache[ev.Target.Name] = s
		}
		m.svc = s
	}
	if m.svc == nil && m.gateway != "" {
		// A gateway event with no upstream known: the gateway itself
		// (a tool call through an MCP gateway, say).
		m.svc, _ = c.ByAI("", m.gateway)
	}
	if m.svc == nil {
		if ev.AI.Provider == "" && ev.AI.Service == "" {
			return m
		}
		m.unknown = true
	}
	if m.use == "" {
		m.use = useOf(ev, m.svc)
	}
	return m
}

func (x *Enricher) byHost(c *catalog.Catalog, ev *schemas.Event) *catalog.Service {
	if len(ev.Attributes) == 0 {
		return nil
	}
	switch ev.Source.Product {
	case schemas.ProductAWSCloudTrail:
		return x.hostService(c, ev.Attributes["aws.tls.client_provided_host_header"])
	case schemas.ProductAIGateway:
		return x.hostService(c, ev.Attributes["gateway.api_base_host"])
	}
	for _, a := range hostAttributes {
		if s := x.hostService(c, ev.Attributes[a]); s != nil {
			return s
		}
	}
	return nil
}

// hostService is the service of host, through the cache.
func (x *Enricher) hostService(c *catalog.Catalog, host string) *catalog.Service {
	if host == "" {
		return nil
	}
	s, ok := x.hostCache[host]
	if !ok {
		s, _ = c.ByHost(host)
		if len(x.hostCache) >= maxCache {
			clear(x.hostCache)
		}
		x.hostCache[host] = s
	}
	return s
}

// useOf derives what an event did with an AI service from its category,
// when no action rule says.
func useOf(ev *schemas.Event, svc *catalog.Service) catalog.Use {
	cat := ev.Action.Category
	if cat == schemas.CategoryAuthentication {
		if ev.Outcome == schemas.OutcomeFailure {
			return "" // a failed sign-in is not a use
		}
		if svc != nil && svc.Kind == catalog.KindMLPlatform {
			return catalog.UseBuild
		}
		return catalog.UseSignIn
	}
	if idpProduct(ev.Source.Product) {
		return "" // the IdP's administration of an AI app, not its use
	}
	if ev.AI.Tool != "" {
		return catalog.UseAct
	}
	switch cat {
	case schemas.CategoryModelInference:
		return catalog.UseInference
	case schemas.CategoryTrainingPipeline, schemas.CategoryModelManagement:
		return catalog.UseBuild
	case schemas.CategorySecretAccess:
		return catalog.UseKeys
	case schemas.CategoryDataAccess:
		return catalog.UseAct
	}
	return catalog.UseAdmin
}
