package baseline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// The changelog value of a baseline: a version byte, a kind byte, then the
// fields in a compact binary form (varints, float32 bits, bitmaps of the
// non-zero values). A reader refuses a version it does not know, so that a
// newer state is never misread; the stage then starts the identity afresh.
// Version 2 appends the events an identity folded lately (identity.recent)
// to version 1; this build reads both.
const (
	stateVersion       = 2
	stateVersionRecent = 2 // the first version with identity.recent

	kindIdentity = 1
	kindPeer     = 2

	// Flags of an encoded stat: which of its fields follow.
	statCur, statPrev, statMean, statVariance = 1, 2, 4, 8
)

// ErrStateVersion is returned (wrapped) by Partition.Restore for a state
// written by a newer version of the stage.
var ErrStateVersion = errors.New("baseline: unknown state version")

// appendIdentity appends the encoding of id to dst.
func appendIdentity(dst []byte, id *identity) []byte {
	dst = append(dst, stateVersion, kindIdentity)
	dst = binary.AppendVarint(dst, id.lastOffset)
	dst = binary.AppendVarint(dst, id.maxTime)
	dst = binary.AppendUvarint(dst, uint64(id.maxTime-id.firstTime))
	dst = binary.AppendUvarint(dst, uint64(id.events))
	group := ""
	if id.peer != nil {
		group = id.peer.name
	}
	dst = appendString(dst, group)
	for h := range numHorizons {
		dst = binary.AppendUvarint(dst, uint64(id.totals.n[h]))
		for m := range numMeasures {
			dst = appendStat(dst, &id.totals.s[h][m])
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(id.cats)))
	for i := range id.cats {
		c := &id.cats[i]
		dst = append(dst, c.cat)
		for h := range numHorizons {
			dst = binary.AppendUvarint(dst, uint64(c.n[h]))
			for m := range numCategoryMeasures {
				dst = appendStat(dst, &c.s[h][m])
			}
		}
	}
	// Profile: the decay week, a bitmap of the non-zero bins, their values.
	dst = binary.AppendVarint(dst, int64(id.prof.week))
	var bitmap [hoursPerWeek / 8]byte
	for i, b := range id.prof.bins {
		if b != 0 {
			bitmap[i/8] |= 1 << (i % 8)
		}
	}
	dst = append(dst, bitmap[:]...)
	for _, b := range id.prof.bins {
		if b != 0 {
			dst = binary.AppendUvarint(dst, uint64(b))
		}
	}
	// Volume histogram: a 64-bit bitmap of the non-zero buckets, their counts.
	var hmap uint64
	for i, c := range id.hist.c {
		if c != 0 {
			hmap |= 1 << i
		}
	}
	dst = binary.LittleEndian.AppendUint64(dst, hmap)
	for _, c := range id.hist.c {
		if c != 0 {
			dst = binary.AppendUvarint(dst, uint64(c))
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(id.seen)))
	for _, e := range id.seen {
		dst = binary.LittleEndian.AppendUint32(dst, e.key)
		dst = binary.AppendUvarint(dst, uint64(e.first))
		dst = binary.AppendUvarint(dst, uint64(e.last-e.first))
	}
	// Recent events: each id hash and its age in seconds behind the newest
	// event (under the lateness: one or two bytes).
	dst = binary.AppendUvarint(dst, uint64(len(id.recent)))
	newest := id.maxTime / 1000
	for _, e := range id.recent {
		dst = binary.LittleEndian.AppendUint64(dst, e.hash)
		dst = binary.AppendUvarint(dst, uint64(max(newest-e.sec, 0)))
	}
	return dst
}

// appendPeer appends the encoding of a peer group's baseline to dst.
func appendPeer(dst []byte, p *peerStats) []byte {
	dst = append(dst, stateVersion, kindPeer)
	for h := range numHorizons {
		dst = binary.AppendUvarint(dst, uint64(p.n[h]))
		for m := range numMeasures {
			dst = appendStat(dst, &p.s[h][m])
		}
	}
	return dst
}

func appendStat(dst []byte, s *stat) []byte {
	var flags byte
	if s.cur != 0 {
		flags |= statCur
	}
	if s.prev != 0 {
		flags |= statPrev
	}
	if s.mean != 0 {
		flags |= statMean
	}
	if s.variance != 0 {
		flags |= statVariance
	}
	dst = append(dst, flags)
	if s.cur != 0 {
		dst = binary.AppendUvarint(dst, s.cur)
	}
	if s.prev != 0 {
		dst = binary.AppendUvarint(dst, s.prev)
	}
	if s.mean != 0 {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(s.mean))
	}
	if s.variance != 0 {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(s.variance))
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// reader decodes a state, keeping the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *reader) byte(what string) byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail("%s: truncated", what)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("%s: bad varint", what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("%s: bad varint", what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bounded reads a uvarint that must not exceed limit.
func (r *reader) bounded(what string, limit uint64) uint64 {
	v := r.uvarint(what)
	if v > limit {
		r.fail("%s: %d is over %d", what, v, limit)
		return 0
	}
	return v
}

func (r *reader) bytes(what string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.fail("%s: truncated", what)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) float32(what string) float32 {
	b := r.bytes(what, 4)
	if b == nil {
		return 0
	}
	v := math.Float32frombits(binary.LittleEndian.Uint32(b))
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		r.fail("%s: not a finite number", what)
		return 0
	}
	return v
}

func (r *reader) stat(s *stat) {
	flags := r.byte("stat flags")
	if flags&^(statCur|statPrev|statMean|statVariance) != 0 {
		r.fail("stat flags: unknown bits %#x", flags)
		return
	}
	if flags&statCur != 0 {
		s.cur = r.uvarint("stat current bucket")
	}
	if flags&statPrev != 0 {
		s.prev = r.uvarint("stat previous bucket")
	}
	if flags&statMean != 0 {
		s.mean = r.float32("stat mean")
	}
	if flags&statVariance != 0 {
		s.variance = r.float32("stat variance")
		if s.variance < 0 {
			r.fail("stat variance: %g is negative", s.variance)
		}
	}
}

// header checks the version and kind bytes and returns the version.
func (r *reader) header(kind byte) byte {
	v := r.byte("version")
	if r.err == nil && (v < 1 || v > stateVersion) {
		r.err = fmt.Errorf("%w %d (this build reads 1 to %d)", ErrStateVersion, v, stateVersion)
		return 0
	}
	if k := r.byte("kind"); r.err == nil && k != kind {
		r.fail("kind: %d, want %d", k, kind)
	}
	return v
}

func (r *reader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d bytes after the state", len(r.b))
	}
	return r.err
}

// decodeIdentity decodes an identity's baseline into id and returns its
// peer group's name.
func decodeIdentity(b []byte, id *identity) (group string, err error) {
	r := reader{b: b}
	version := r.header(kindIdentity)
	id.lastOffset = r.varint("last offset")
	id.maxTime = r.varint("newest time")
	age := r.bounded("age", math.MaxInt64)
	id.firstTime = id.maxTime - int64(age)
	id.events = int64(r.bounded("events", math.MaxInt64))
	group = string(r.bytes("peer group", int(r.bounded("peer group length", 1<<16))))
	for h := range numHorizons {
		id.totals.n[h] = uint32(r.bounded("samples", math.MaxUint32))
		for m := range numMeasures {
			r.stat(&id.totals.s[h][m])
		}
	}
	ncats := r.bounded("categories", 256)
	if r.err == nil && ncats > 0 {
		id.cats = make([]categoryStats, ncats)
	}
	for i := range id.cats {
		c := &id.cats[i]
		c.cat = r.byte("category")
		if r.err == nil && (int(c.cat) >= numCategories || i > 0 && c.cat <= id.cats[i-1].cat) {
			r.fail("category %d: unknown or out of order", c.cat)
		}
		for h := range numHorizons {
			c.n[h] = uint32(r.bounded("samples", math.MaxUint32))
			for m := range numCategoryMeasures {
				r.stat(&c.s[h][m])
			}
		}
		if r.err != nil {
			break
		}
	}
	id.prof.week = int32(r.varint("profile week"))
	if bitmap := r.bytes("profile bitmap", hoursPerWeek/8); bitmap != nil {
		for i := range hoursPerWeek {
			if bitmap[i/8]&(1<<(i%8)) != 0 {
				id.prof.bins[i] = uint16(r.bounded("profile bin", math.MaxUint16))
			}
		}
	}
	id.prof.recomputeMax()
	if hb := r.bytes("volume bitmap", 8); hb != nil {
		hmap := binary.LittleEndian.Uint64(hb)
		for i := range volumeBuckets {
			if hmap&(1<<i) != 0 {
				id.hist.c[i] = uint16(r.bounded("volume count", volumeRecent))
			}
		}
		if r.err == nil && bits.OnesCount64(hmap) > volumeBuckets {
			r.fail("volume bitmap: too many buckets")
		}
	}
	id.hist.recomputeTotal()
	nseen := r.bounded("first-seen entries", numSeenSets*maxFirstSeen)
	if r.err == nil && nseen > 0 {
		id.seen = make([]seenEntry, nseen)
	}
	for i := range id.seen {
		e := &id.seen[i]
		if kb := r.bytes("first-seen key", 4); kb != nil {
			e.key = binary.LittleEndian.Uint32(kb)
		}
		if r.err == nil && e.key>>seenHashBits >= numSeenSets {
			r.fail("first-seen key %#x: unknown set", e.key)
		}
		e.first = uint32(r.bounded("first seen", math.MaxUint32))
		e.last = e.first + uint32(r.bounded("last seen", uint64(math.MaxUint32-e.first)))
		if r.err != nil {
			break
		}
	}
	if version >= stateVersionRecent {
		// A version 1 state has none: its identity folds a copy of an
		// event from before the restore again, as that version did.
		nrecent := r.bounded("recent events", maxRecent)
		if r.err == nil && nrecent > 0 {
			id.recent = make([]recentEvent, nrecent)
		}
		newest := id.maxTime / 1000
		for i := range id.recent {
			e := &id.recent[i]
			if hb := r.bytes("recent event hash", 8); hb != nil {
				e.hash = binary.LittleEndian.Uint64(hb)
			}
			e.sec = newest - int64(r.bounded("recent event age", uint64(max(newest, 0))))
			if r.err != nil {
				break
			}
		}
	}
	if r.err == nil && (id.firstTime < epoch2000 || id.events <= 0) {
		r.fail("first time %d or events %d out of range", id.firstTime, id.events)
	}
	if err := r.end(); err != nil {
		return "", fmt.Errorf("decode identity baseline: %w", err)
	}
	return group, nil
}

// decodePeer decodes a peer group's baseline into p.
func decodePeer(b []byte, p *peerStats) error {
	r := reader{b: b}
	r.header(kindPeer) // the same in every version
	for h := range numHorizons {
		p.n[h] = uint32(r.bounded("samples", math.MaxUint32))
		for m := range numMeasures {
			r.stat(&p.s[h][m])
		}
	}
	if err := r.end(); err != nil {
		return fmt.Errorf("decode peer group baseline: %w", err)
	}
	return nil
}
