package enrich

import (
	"net/netip"
	"slices"
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
