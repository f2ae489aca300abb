// Package inventory is the per-identity state of the enrich stage: the
// schemas.Identity inventory row (first and last seen in event time,
// class and evidence, accounts, AI services used, targets, tenants and
// environments reached, owner, credential types, human or not), plus what
// the stage needs to go on after a restart: the classifier's evidence, the
// identity's recent credentials, and the input offset of the last event
// folded in. Every list is bounded (schemas.MaxIdentityList,
// schemas.MaxIdentityTargets).
//
// The state travels on the identity changelog as a schemas.Identity in
// MessagePack with one more map key, "_enrich", holding the internal part;
// decoders of schemas.Identity skip it, so the ClickHouse sink reads the
// changelog as the inventory.
package inventory

import (
	"time"

	"github.com/aitdr/aitdr/enrich/classify"
	"github.com/aitdr/aitdr/enrich/workhours"
	"github.com/aitdr/aitdr/schemas"
)

// maxCategories bounds Identity.EventsByCategory: categories are an enum,
// but a custom source may emit others.
const maxCategories = schemas.MaxIdentityList

// State is one identity's state. It is not safe for concurrent use.
type State struct {
	// Identity is the inventory row.
	Identity schemas.Identity
	// Evidence is what the classifier has seen.
	Evidence classify.Evidence
	// Offset is the input offset of the last event folded in, -1 before
	// the first; a replayed event at or below it is not folded again.
	Offset int64
	// Credentials are the identity's most recent credentials, at most
	// schemas.MaxIdentityList.
	Credentials []Credential

	// Partition is the input partition the identity's events come from
	// (not persisted: the changelog partition says it).
	Partition int32
	// Dirty is true when the state changed since it was last written; the
	// stage sets and clears it.
	Dirty bool
	// Bucket is the classify.Bucket of the event count at the last decision.
	Bucket int
	// Resolved is what the stage resolved for the identity from its
	// lookups (not persisted: resolved again after a restore).
	Resolved Resolved

	lastTarget int
	// categories counts events per known category (in the order of
	// the categories list) and otherCategories the rest; Prepare writes
	// them into Identity.EventsByCategory, which costs a map access per
	// event otherwise.
	categories      [len(categoriesList)]int64
	otherCategories map[string]int64
	countsChanged   bool
}

// categoriesList are the categories counted in an array.
var categoriesList = [...]schemas.Category{
	schemas.CategoryAuthentication, schemas.CategoryAuthorization, schemas.CategoryIAMChange,
	schemas.CategoryDataAccess, schemas.CategoryModelInference, schemas.CategoryModelManagement,
	schemas.CategoryTrainingPipeline, schemas.CategorySecretAccess, schemas.CategoryAdmin,
	schemas.CategoryLoggingChange, schemas.CategoryOther,
}

var categories = categoriesList[:]

func categoryIndex(c schemas.Category) int {
	for i, k := range categoriesList {
		if k == c {
			return i
		}
	}
	return -1
}

// Prepare brings the inventory row up to date before it is written or
// read as a whole: targets most recent first, events per category
// counted. Fold leaves them for Prepare, to keep the per-event path short.
func (s *State) Prepare() {
	s.SortTargets()
	if !s.countsChanged {
		return
	}
	s.countsChanged = false
	id := &s.Identity
	if id.EventsByCategory == nil {
		id.EventsByCategory = make(map[string]int64, 4)
	}
	for i, n := range s.categories {
		if n > 0 {
			id.EventsByCategory[string(categoriesList[i])] = n
		}
	}
	for c, n := range s.otherCategories {
		id.EventsByCategory[c] = n
	}
}

// Resolved caches what the stage resolved for an identity from its
// lookups and the principal as its events show it; the stage resolves it
// again when the lookups' Version changes or an event shows the principal
// differently.
type Resolved struct {
	// Version is the lookups' version it was resolved with; 0 before.
	Version uint64
	// Account, SourceAccountType and SourceOwner are the principal's
	// account, account type and owner as the source gave them.
	Account           string
	SourceAccountType schemas.AccountType
	SourceOwner       string
	// AccountType is the account type decided.
	AccountType schemas.AccountType
	// Linked is true when the directory names the identity.
	Linked bool
	// Environment is the identity's own environment.
	Environment schemas.Environment
	// Week is the working week of the person the identity belongs to, in
	// their time zone; not Known for identities that are not a person's
	// own account, or when the person's time zone is unknown.
	Week workhours.Week
}

// Credential is a credential an identity used.
type Credential struct {
	// ID is the credential id (access key id, API key id).
	ID string
	// Type is the kind of credential.
	Type schemas.CredentialType
	// LastSeen is the event time of its last use.
	LastSeen time.Time
	// Client and Address are the client family and source address of its
	// last use, for finding it used from unrelated clients at once; they
	// are not persisted.
	Client, Address string
	// Workloads are the recent workloads that used a long-lived credential,
	// least recently used last dropped first (not persisted: after a
	// restore they are met again within minutes).
	Workloads []Workload
}

// Workload is one source of a credential's uses: a source address with a
// client (the user agent's first product token).
type Workload struct {
	// Key is a hash of the address and the client, compared on every use.
	Key uint64
	// First and Last are the event times (Unix nanoseconds) of its first
	// and last use.
	First, Last int64
	// Name is "<address> <client>", for the evidence.
	Name string
}

// Credential returns the identity's credential cid, or nil.
func (s *State) Credential(cid string) *Credential {
	for i := range s.Credentials {
		if s.Credentials[i].ID == cid {
			return &s.Credentials[i]
		}
	}
	return nil
}

// Interner shares the copies of strings that many identities hold (a
// provider, an account id, a target type, an evidence sentence), so that
// each identity does not keep its own. It holds at most a bounded number
// of strings and stops adding when full. It is not safe for concurrent use.
type Interner struct {
	strings map[string]string
	max     int
}

// NewInterner returns an Interner of at most max strings.
func NewInterner(max int) *Interner {
	return &Interner{strings: make(map[string]string, 256), max: max}
}

// Intern returns the shared copy of s, adding s when it has none and is
// not full. A nil Interner returns s.
func (in *Interner) Intern(s string) string {
	if in == nil || s == "" {
		return s
	}
	if v, ok := in.strings[s]; ok {
		return v
	}
	if len(in.strings) < in.max {
		in.strings[s] = s
	}
	return s
}

// New returns the empty state of identity id on partition.
func New(id string, partition int32) *State {
	return &State{Identity: schemas.Identity{ID: id}, Offset: -1, Partition: partition}
}

// AIService is an AI service use to fold in.
type AIService struct {
	Provider string
	Service  string
	Status   schemas.AIServiceStatus
	Model    string
}

// Fold adds an event to the identity's inventory: times and counts,
// provider, account, credential type, target, tenant, environment reached,
// and the AI service used (when ai.Service is set). target holds the
// event's target with the environment and sensitivity the stage resolved.
//
// Strings shared by many identities go through in (which may be nil).
func (s *State) Fold(ev *schemas.Event, account schemas.AccountType, ai AIService, in *Interner) {
	id := &s.Identity
	t := ev.Time
	if id.FirstSeen.IsZero() || t.Before(id.FirstSeen) {
		id.FirstSeen = t
	}
	if t.After(id.LastSeen) {
		id.LastSeen = t
	}
	id.Events++
	if ev.Outcome == schemas.OutcomeFailure {
		id.Failures++
	}
	if c := ev.Action.Category; c != "" {
		if i := categoryIndex(c); i >= 0 {
			s.categories[i]++
		} else {
			if s.otherCategories == nil {
				s.otherCategories = make(map[string]int64, 1)
			}
			if _, ok := s.otherCategories[string(c)]; ok || len(s.otherCategories) < maxCategories-len(categories) {
				s.otherCategories[string(c)]++
			}
		}
		s.countsChanged = true
	}
	p := &ev.Identity
	if p.Provider != "" {
		id.Providers = addString(id.Providers, p.Provider, in)
	}
	s.foldAccount(in.Intern(p.Provider), p.Account, account, in)
	if id.DisplayName == "" {
		id.DisplayName = p.DisplayName
	}
	if id.Email == "" {
		id.Email = p.Email
	}
	if ct := ev.Session.CredentialType; ct != "" && ct != schemas.CredentialUnknown {
		if !contains(id.CredentialTypes, ct) && len(id.CredentialTypes) < schemas.MaxIdentityList {
			id.CredentialTypes = append(id.CredentialTypes, ct)
		}
	}
	if p.CredentialID != "" {
		s.foldCredential(p.CredentialID, ev.Session.CredentialType, t)
	}
	s.foldTarget(ev, in)
	if ai.Service != "" {
		s.foldAI(ai, t, in)
	}
}

func (s *State) foldAccount(provider, account string, typ schemas.AccountType, in *Interner) {
	id := &s.Identity
	if account != "" {
		found := false
		for i := range id.Accounts {
			a := &id.Accounts[i]
			if a.ID == account && a.Provider == provider {
				found = true
				if typ == "" || typ == schemas.AccountUnknown || a.Type == typ {
					return // nothing changed
				}
				a.Type = typ
				break
			}
		}
		if !found && len(id.Accounts) < schemas.MaxIdentityList {
			id.Accounts = append(id.Accounts, schemas.IdentityAccount{Provider: provider, ID: in.Intern(account), Type: typ})
		}
	}
	// Personal when any account is personal, corporate when all are.
	agg := schemas.AccountUnknown
	if len(id.Accounts) > 0 {
		agg = schemas.AccountCorporate
	}
	for _, a := range id.Accounts {
		switch a.Type {
		case schemas.AccountPersonal:
			id.AccountType = schemas.AccountPersonal
			return
		case schemas.AccountCorporate:
		default:
			agg = schemas.AccountUnknown
		}
	}
	if len(id.Accounts) == 0 && typ != "" {
		agg = typ
	}
	id.AccountType = agg
}

func (s *State) foldCredential(cid string, typ schemas.CredentialType, t time.Time) {
	if c := s.Credential(cid); c != nil {
		if t.After(c.LastSeen) {
			c.LastSeen = t
		}
		return
	}
	c := Credential{ID: cid, Type: typ, LastSeen: t}
	if len(s.Credentials) < schemas.MaxIdentityList {
		s.Credentials = append(s.Credentials, c)
		return
	}
	if o := oldestCredential(s.Credentials); !t.Before(s.Credentials[o].LastSeen) {
		s.Credentials[o] = c
	}
}

func oldestCredential(cs []Credential) int {
	o := 0
	for i := range cs {
		if cs[i].LastSeen.Before(cs[o].LastSeen) {
			o = i
		}
	}
	return o
}

// foldTarget records the event's target. The list is kept in any order
// while folding (SortTargets puts the most recent first before the state
// is written), so that a hit costs a scan and no move.
func (s *State) foldTarget(ev *schemas.Event, in *Interner) {
	tg := &ev.Target
	tid := tg.ID
	if tid == "" {
		tid = tg.Name
	}
	id := &s.Identity
	if tg.Tenant != "" {
		id.Tenants = addString(id.Tenants, tg.Tenant, in)
	}
	if e := tg.Environment; e != "" && e != schemas.EnvUnknown && !contains(id.Environments, e) && len(id.Environments) < schemas.MaxIdentityList {
		id.Environments = append(id.Environments, e)
	}
	if tid == "" {
		return
	}
	i := -1
	if s.lastTarget < len(id.Targets) && id.Targets[s.lastTarget].ID == tid {
		i = s.lastTarget
	} else {
		for j := range id.Targets {
			if id.Targets[j].ID == tid {
				i = j
				break
			}
		}
	}
	if i < 0 {
		id.TargetsTotal++
		u := schemas.TargetUse{Type: in.Intern(tg.Type), ID: tid, Tenant: in.Intern(tg.Tenant)}
		if len(id.Targets) < schemas.MaxIdentityTargets {
			id.Targets = appendTarget(id.Targets, u)
			i = len(id.Targets) - 1
		} else {
			// Full: the new target replaces the least recent one, unless
			// it is older still (events arrive out of order).
			i = oldestTarget(id.Targets)
			if ev.Time.Before(id.Targets[i].LastSeen) {
				return
			}
			id.Targets[i] = u
		}
	}
	s.lastTarget = i
	u := &id.Targets[i]
	u.Events++
	if ev.Time.After(u.LastSeen) {
		u.LastSeen = ev.Time
	}
	if tg.Environment != "" {
		u.Environment = tg.Environment
	}
	if tg.Sensitivity != "" {
		u.Sensitivity = tg.Sensitivity
	}
}

// appendTarget appends u, growing the list by a quarter rather than
// doubling it: a TargetUse is large, and most identities reach few targets.
func appendTarget(ts []schemas.TargetUse, u schemas.TargetUse) []schemas.TargetUse {
	if len(ts) == cap(ts) {
		grown := make([]schemas.TargetUse, len(ts), min(len(ts)+max(2, len(ts)/4), schemas.MaxIdentityTargets))
		copy(grown, ts)
		ts = grown
	}
	return append(ts, u)
}

func oldestTarget(ts []schemas.TargetUse) int {
	o := 0
	for i := range ts {
		if ts[i].LastSeen.Before(ts[o].LastSeen) {
			o = i
		}
	}
	return o
}

func (s *State) foldAI(ai AIService, t time.Time, in *Interner) {
	id := &s.Identity
	var u *schemas.AIServiceUse
	for i := range id.AIServices {
		if a := &id.AIServices[i]; a.Service == ai.Service && a.Provider == ai.Provider {
			u = a
			break
		}
	}
	if u == nil {
		if len(id.AIServices) >= schemas.MaxIdentityList {
			return
		}
		id.AIServices = append(id.AIServices, schemas.AIServiceUse{Provider: in.Intern(ai.Provider), Service: in.Intern(ai.Service), FirstSeen: t, LastSeen: t})
		u = &id.AIServices[len(id.AIServices)-1]
	}
	u.Events++
	u.Status = ai.Status
	if t.Before(u.FirstSeen) {
		u.FirstSeen = t
	}
	if t.After(u.LastSeen) {
		u.LastSeen = t
	}
	if ai.Model != "" {
		u.Models = addString(u.Models, ai.Model, in)
	}
}

// SortTargets orders the targets most recent first, as schemas.Identity
// documents them.
func (s *State) SortTargets() {
	ts := s.Identity.Targets
	// Insertion sort: the list is short and mostly in order already.
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].LastSeen.After(ts[j-1].LastSeen); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
	s.lastTarget = 0
}

// addString adds v (interned) to list unless it is there or the list is
// full.
func addString(list []string, v string, in *Interner) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	if len(list) >= schemas.MaxIdentityList {
		return list
	}
	return append(list, in.Intern(v))
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
