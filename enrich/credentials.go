package enrich

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aitdr/aitdr/enrich/classify"
	"github.com/aitdr/aitdr/enrich/inventory"
	"github.com/aitdr/aitdr/schemas"
)

// credentialUse is the index entry of a credential: the first identity
// seen with it, to find it used by another principal within the
// credential memory. An identity's later uses of its own credentials are
// checked on its state (inventory.Credential), without the index: only a
// principal's first use of a credential needs it, which keeps the index
// out of the per-event path.
type credentialUse struct {
	identity string
	// last is the event time of the last use the index saw; pruning
	// consults the identity's state before forgetting the credential.
	last time.Time
}

// observeCredential checks the event's use of its credential before the
// event is folded into st: a credential new to the identity is looked up
// in the index (another principal's, flag both), a known one is checked
// against its last use (another client from another network within the
// window, flag it). client is the event's client family. It reports
// whether st's evidence changed.
func (x *Enricher) observeCredential(st *inventory.State, ev *schemas.Event, client string) bool {
	cid := ev.Identity.CredentialID
	t := ev.Time
	if c := st.Credential(cid); c != nil {
		if client == "" || c.Client == "" || client == c.Client || ev.Network.SourceIP == "" || c.Address == "" ||
			absDuration(t.Sub(c.LastSeen)) > x.window || st.Evidence.Has(classify.SharedCredential) {
			return false
		}
		prev, now := networkOf(c.Address), networkOf(ev.Network.SourceIP)
		if prev == "" || now == "" || prev == now {
			return false
		}
		return flagShared(st, "credential "+cid+" used from unrelated clients at once ("+
			c.Client+" from "+prev+", "+client+" from "+now+")")
	}
	cu := x.creds[cid]
	if cu == nil {
		x.creds[cid] = &credentialUse{identity: st.Identity.ID, last: t}
		return false
	}
	if t.After(cu.last) {
		cu.last = t
	}
	if cu.identity == st.Identity.ID {
		return false // its own, dropped from its bounded list and seen again
	}
	changed := false
	if !st.Evidence.Has(classify.SharedCredential) {
		changed = flagShared(st, "credential "+cid+" is also used by "+cu.identity)
	}
	if other := x.states[cu.identity]; other != nil && !other.Evidence.Has(classify.SharedCredential) {
		if flagShared(other, "credential "+cid+" is also used by "+st.Identity.ID) {
			x.decide(other)
		}
	}
	return changed
}

// noteClient records the client and address of the event's use of its
// credential on st, after the event was folded.
func noteClient(st *inventory.State, ev *schemas.Event, client string) {
	if c := st.Credential(ev.Identity.CredentialID); c != nil {
		if client != "" {
			c.Client = client
		}
		if ev.Network.SourceIP != "" {
			c.Address = ev.Network.SourceIP
		}
	}
}

// maxWorkloads bounds the workloads remembered per credential; the least
// recently used is replaced first.
const maxWorkloads = 8

// longLived reports whether a credential of type t is held by whoever runs
// it (a key, a client secret, a token, a certificate) rather than minted
// per session: only such a credential can be copied into several
// workloads. Sessions of one role run by many workloads are how roles
// work.
func longLived(t schemas.CredentialType) bool {
	switch t {
	case schemas.CredentialAccessKey, schemas.CredentialAPIKey, schemas.CredentialPersonalAccessToken, schemas.CredentialCertificate:
		return true
	}
	return false
}

// workloadOf is the workload an event's use of its long-lived credential
// comes from, as a key: a hash of its source address and the first product
// token of its user agent ("Boto3/1.34.62", "OpenAI/Python"), which stays
// the same across one process's requests where the whole user agent may
// not (the AWS CLI's names each command). ok is false when the source
// address is not an IP address (a cloud service calling on the principal's
// behalf) or the credential is not long-lived. It does not allocate.
func workloadOf(ev *schemas.Event) (key uint64, client string, ok bool) {
	if !longLived(ev.Session.CredentialType) {
		return 0, "", false
	}
	addr := ev.Network.SourceIP
	if len(addr) < 2 || len(addr) > 45 {
		return 0, "", false
	}
	const offset, prime = 14695981039346656037, 1099511628211
	key = offset
	sep := false
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		case c == '.' || c == ':':
			sep = true
		default:
			return 0, "", false // a host name, not an address
		}
		key = (key ^ uint64(c)) * prime
	}
	if !sep {
		return 0, "", false
	}
	client = strings.TrimLeft(ev.Network.UserAgent, "[")
	if i := strings.IndexAny(client, " ;("); i >= 0 {
		client = client[:i]
	}
	client = strings.TrimRight(client, "]")
	key *= prime // a separator byte 0 between the address and the client
	for i := 0; i < len(client); i++ {
		key = (key ^ uint64(client[i])) * prime
	}
	return key, client, true
}

// noteWorkload records the event's workload among those of its credential
// on st, after the event was folded, and flags a credential of an identity
// that is not a person's account used by several workloads at once as
// shared. It returns the workloads using the credential at once, and
// whether st's evidence changed.
func (x *Enricher) noteWorkload(st *inventory.State, ev *schemas.Event) (int32, bool) {
	key, client, ok := workloadOf(ev)
	if !ok {
		return 0, false
	}
	c := st.Credential(ev.Identity.CredentialID)
	if c == nil {
		return 0, false
	}
	t := ev.Time.UnixNano()
	found := false
	for i := range c.Workloads {
		w := &c.Workloads[i]
		if w.Key == key {
			w.First, w.Last = min(w.First, t), max(w.Last, t)
			found = true
			break
		}
	}
	if !found {
		w := inventory.Workload{Key: key, First: t, Last: t, Name: strings.TrimSpace(ev.Network.SourceIP + " " + client)}
		if len(c.Workloads) < maxWorkloads {
			c.Workloads = append(c.Workloads, w)
		} else if o := leastRecent(c.Workloads); t > c.Workloads[o].Last {
			c.Workloads[o] = w
		}
	}
	n := x.concurrent(c, t)
	if n < 2 || st.Evidence.Has(classify.SharedCredential) || personal(st) {
		return int32(n), false
	}
	return int32(n), flagShared(st, "credential "+c.ID+" used by "+strconv.Itoa(n)+" workloads at once ("+strings.Join(x.running(c, t, n), ", ")+")")
}

// personal reports whether st is a person's own account: a person works
// from a laptop and a phone, several clients at once.
func personal(st *inventory.State) bool {
	switch st.Identity.Class {
	case schemas.ClassAIUser, schemas.ClassAIBuilder, schemas.ClassHuman:
		return true
	}
	return st.Evidence.Has(classify.DirectoryPerson)
}

func leastRecent(ws []inventory.Workload) int {
	o := 0
	for i := range ws {
		if ws[i].Last < ws[o].Last {
			o = i
		}
	}
	return o
}

// active reports whether w used its credential within the
// shared-credential window of t (Unix nanoseconds).
func (x *Enricher) active(w *inventory.Workload, t int64) bool {
	d := t - w.Last
	return -int64(x.window) <= d && d <= int64(x.window)
}

// concurrent counts the workloads of c that run it at once at t (Unix
// nanoseconds): the most workloads used within the shared-credential
// window of t that have all been running together for at least the window
// (from the start of the latest of them to the last use of the earliest
// to stop). A workload that replaced another, or a deployment rolling over
// in a few minutes, does not make two; a workload alone counts once it has
// run for the window.
func (x *Enricher) concurrent(c *inventory.Credential, t int64) int {
	win := int64(x.window)
	if len(c.Workloads) == 1 {
		if w := &c.Workloads[0]; x.active(w, t) && w.Last-w.First >= win {
			return 1
		}
		return 0
	}
	ws := x.runningSet(c, t)
	stop := int64(0) // the earliest last use of the workloads counted
	for i, w := range ws {
		if i == 0 || w.Last < stop {
			stop = w.Last
		}
		if stop-w.First < win {
			return i
		}
	}
	return len(ws)
}

// runningSet returns the active workloads of c at t, earliest started
// first, in a buffer of the Enricher's.
func (x *Enricher) runningSet(c *inventory.Credential, t int64) []inventory.Workload {
	ws := x.workloadBuf[:0]
	for i := range c.Workloads {
		if x.active(&c.Workloads[i], t) {
			ws = append(ws, c.Workloads[i])
		}
	}
	slices.SortFunc(ws, func(a, b inventory.Workload) int { return cmp.Compare(a.First, b.First) })
	x.workloadBuf = ws
	return ws
}

// running names the n workloads concurrent counts, for the evidence.
func (x *Enricher) running(c *inventory.Credential, t int64, n int) []string {
	ws := x.runningSet(c, t)
	names := make([]string, 0, n)
	for _, w := range ws[:min(n, len(ws))] {
		names = append(names, w.Name)
	}
	slices.Sort(names)
	return names
}

// credentialWorkloads is enrichment.credential_workloads of an event: the
// workloads using its long-lived credential at once, 0 when it has none.
func (x *Enricher) credentialWorkloads(st *inventory.State, ev *schemas.Event) int32 {
	if ev.Identity.CredentialID == "" {
		return 0
	}
	if _, _, ok := workloadOf(ev); !ok {
		return 0
	}
	c := st.Credential(ev.Identity.CredentialID)
	if c == nil {
		return 0
	}
	return int32(x.concurrent(c, ev.Time.UnixNano()))
}

func flagShared(st *inventory.State, detail string) bool {
	st.Identity.SharedCredential = true
	return st.Evidence.Add(classify.SharedCredential, detail)
}

// clientOf is the client family of a user agent ("Boto3", "Mozilla"), or
// "" for the calls cloud services make on a principal's behalf.
func clientOf(ua string) string {
	f := classify.ClientFamily(ua)
	if f == "AWS" || strings.HasSuffix(f, ".amazonaws.com") || strings.HasSuffix(f, ".googleapis.com") {
		return ""
	}
	return f
}

// networkOf is the network of an address: its /24 (IPv4) or /48 (IPv6),
// or "" when the source address is not an IP (a cloud service's name).
func networkOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	bits := 24
	if a.Is6() && !a.Is4In6() {
		bits = 48
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// PruneCredentials forgets up to max credentials not used within the
// credential memory of the latest event time seen, and returns how many
// it forgot. The stage calls it at every flush, so the index stays
// bounded by the credentials in use without a full scan per batch.
func (x *Enricher) PruneCredentials(max int) int {
	if x.latest.IsZero() {
		return 0
	}
	cutoff := x.latest.Add(-x.memory)
	n, seen := 0, 0
	for id, cu := range x.creds {
		if seen++; seen > max {
			break
		}
		if !cu.last.Before(cutoff) {
			continue
		}
		// The owner's uses do not go through the index: ask its state.
		if st := x.states[cu.identity]; st != nil {
			if c := st.Credential(id); c != nil && !c.LastSeen.Before(cutoff) {
				cu.last = c.LastSeen
				continue
			}
		}
		delete(x.creds, id)
		n++
	}
	return n
}

// Credentials returns the number of credentials in the index.
func (x *Enricher) Credentials() int { return len(x.creds) }

// Restore puts a state read from the changelog into the inventory,
// replacing any state of the same identity, and indexes its credentials.
func (x *Enricher) Restore(st *inventory.State) {
	st.Bucket = classify.Bucket(st.Identity.Events)
	x.states[st.Identity.ID] = st
	for _, c := range st.Credentials {
		cu := x.creds[c.ID]
		switch {
		case cu == nil:
			x.creds[c.ID] = &credentialUse{identity: st.Identity.ID, last: c.LastSeen}
		case c.LastSeen.After(cu.last):
			cu.last = c.LastSeen
		}
		if c.LastSeen.After(x.latest) {
			x.latest = c.LastSeen
		}
	}
}

// Forget removes an identity from the inventory (a tombstone on the
// changelog).
func (x *Enricher) Forget(id string) {
	delete(x.states, id)
}

// Drop removes the identities of partitions, and the credentials they
// were first seen with, and returns how many identities it removed.
func (x *Enricher) Drop(partitions []int32) int {
	n := 0
	gone := map[string]bool{}
	for id, st := range x.states {
		if slices.Contains(partitions, st.Partition) {
			delete(x.states, id)
			gone[id] = true
			n++
		}
	}
	if n == 0 {
		return 0
	}
	for cid, cu := range x.creds {
		if gone[cu.identity] {
			delete(x.creds, cid)
		}
	}
	x.dirty = slices.DeleteFunc(x.dirty, func(st *inventory.State) bool { return gone[st.Identity.ID] })
	return n
}
