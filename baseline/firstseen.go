package baseline

import (
	"github.com/aitdr/aitdr/schemas"
)

// The first-seen sets of an identity, in the order of FirstSeenLimits.
const (
	setAction = iota
	setResource
	setSourceIP
	setASN
	setCountry
	setUserAgent
	setModel
	setAIService
	setTenant
	setEnvironment
	numSeenSets
)

// seenSetNames name the sets in configuration errors.
var seenSetNames = [numSeenSets]string{"actions", "resources", "source_ips", "asns", "countries",
	"user_agents", "models", "ai_services", "tenants", "environments"}

const (
	// seenHashBits is the width of a value's hash; the set's number fills
	// the top bits of an entry's key.
	seenHashBits = 28
	seenHashMask = 1<<seenHashBits - 1
	// epoch2000 is 2000-01-01T00:00:00Z in Unix ms: first-seen times are
	// minutes since then, and earlier events are absurd.
	epoch2000 = 946_684_800_000
)

// seenEntry is one value of one first-seen set of an identity: the set's
// number and the value's hash, and when the identity first and last showed
// it, in minutes since 2000 (event time).
type seenEntry struct {
	key         uint32
	first, last uint32
}

func minutesOf(t int64) uint32 {
	m := (t - epoch2000) / 60_000
	if m < 0 {
		return 0
	}
	return uint32(min(m, 1<<32-1))
}

// seenKey returns the entry key of a value hash in set s.
func seenKey(s int, hash uint64) uint32 {
	return uint32(s)<<seenHashBits | uint32(hash^hash>>32)&seenHashMask
}

// observeSeen looks the event's values (hashes, where present) up in the
// first-seen sets of entries at time t (minutes), in one pass, and records
// them: isNew says which are new and, for the others, first when they were
// first seen. A full set forgets its least recently seen value.
func observeSeen(entries []seenEntry, present *[numSeenSets]bool, hashes *[numSeenSets]uint64, t uint32,
	limits *[numSeenSets]int, isNew *[numSeenSets]bool, first *[numSeenSets]uint32) []seenEntry {
	var keys [numSeenSets]uint32
	var counts [numSeenSets]int
	var lru [numSeenSets]int
	for s := range numSeenSets {
		keys[s] = seenKey(s, hashes[s])
		isNew[s] = present[s]
		lru[s] = -1
	}
	for i := range entries {
		e := &entries[i]
		s := e.key >> seenHashBits
		if s >= numSeenSets || !present[s] {
			continue
		}
		if e.key == keys[s] {
			isNew[s] = false
			first[s] = e.first
			e.first = min(e.first, t)
			e.last = max(e.last, t)
			continue
		}
		counts[s]++
		if lru[s] < 0 || e.last < entries[lru[s]].last {
			lru[s] = i
		}
	}
	for s := range numSeenSets {
		if !isNew[s] {
			continue
		}
		e := seenEntry{key: keys[s], first: t, last: t}
		if counts[s] >= limits[s] && lru[s] >= 0 {
			entries[lru[s]] = e
		} else {
			entries = append(entries, e)
		}
	}
	return entries
}

// fnv64 is FNV-1a of s: a stable hash, so hashes written to the changelog
// by one process match those of the next.
func fnv64(parts ...string) uint64 {
	h := uint64(14695981039346656037)
	for i, s := range parts {
		if i > 0 {
			h ^= 0xff // separator, so ("ab","c") differs from ("a","bc")
			h *= 1099511628211
		}
		for j := 0; j < len(s); j++ {
			h ^= uint64(s[j])
			h *= 1099511628211
		}
	}
	return h
}

// seenValues returns the hash of the event's value for each first-seen set,
// and whether it has one.
func seenValues(ev *schemas.Event, out *[numSeenSets]uint64) (present [numSeenSets]bool) {
	set := func(s int, parts ...string) {
		for _, p := range parts {
			if p != "" {
				out[s], present[s] = fnv64(parts...), true
				return
			}
		}
	}
	set(setAction, ev.Action.Service, ev.Action.Name)
	switch {
	case ev.Target.ID != "":
		set(setResource, ev.Target.ID)
	case ev.Target.Name != "":
		set(setResource, ev.Target.Type, ev.Target.Name)
	}
	set(setSourceIP, ev.Network.SourceIP)
	if asn := ev.Network.ASN; asn != 0 {
		h := uint64(14695981039346656037)
		for shift := 0; shift < 32; shift += 8 {
			h ^= uint64(asn>>shift) & 0xff
			h *= 1099511628211
		}
		out[setASN], present[setASN] = h, true
	}
	set(setCountry, ev.Network.Country)
	set(setUserAgent, ev.Network.UserAgent)
	set(setModel, ev.AI.Model)
	set(setAIService, ev.AI.Service)
	set(setTenant, tenantOf(ev))
	set(setEnvironment, string(ev.Target.Environment))
	return present
}

// tenantOf is the tenant or account an event reached: the target's tenant
// when it names one (cross-tenant access), else the account, tenant or org
// the event was recorded in.
func tenantOf(ev *schemas.Event) string {
	for _, t := range []string{ev.Target.Tenant, ev.Source.Account, ev.Source.Tenant, ev.Source.Org} {
		if t != "" {
			return t
		}
	}
	return ""
}
