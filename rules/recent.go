package rules

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// An Engine remembers the ids of the events it evaluated lately on each
// input partition, so that a copy of one is not evaluated again by any
// rule. A copy is an event that a stage before the rules (ingest, enrich,
// baseline) produced again after a crash, because it had not committed its
// input: it comes at a new offset, which the per-key offsets of the state
// do not recognize. Evaluated again, it would count twice in a threshold
// window once its original left it as evidence, advance a sequence step
// again, or fire a match on features the baseline computed as for a replay
// where the original did not fire.
//
// The ids are 64-bit FNV-1a hashes in a ring of Limits.RecentEvents per
// partition, checkpointed with the rest of the state in segments of
// recentSegment hashes (only the segments written since the last
// checkpoint), so that a restart recognizes copies of the events evaluated
// before it.

// recentSegment is the number of hashes in one changelog record of the
// ring: 1 KiB, so that a checkpoint writes about one record per 128 events
// of a partition.
const recentSegment = 128

// recentKeyPrefix starts the changelog key of a segment of the ring,
// followed by the segment's number; rule ids never start with NUL.
const recentKeyPrefix = "\x00recent:"

// kindRecent is the kind byte of a segment's changelog value.
const kindRecent stateKind = 'r'

// recentIDs is the ring of one partition. It fills up to its capacity,
// then each new id replaces the oldest. Hash 0 marks an empty slot (an id
// hashing to 0 is kept as 1).
type recentIDs struct {
	capacity int // a multiple of recentSegment
	ring     []uint64
	// written counts the ids ever added; the next goes to
	// ring[written%capacity].
	written uint64
	index   idSet
	dirty   map[int]struct{} // segments changed since the last checkpoint
}

func newRecentIDs(capacity int) *recentIDs {
	capacity = (capacity + recentSegment - 1) / recentSegment * recentSegment
	return &recentIDs{capacity: capacity, dirty: map[int]struct{}{}}
}

// idSet is the set of the hashes in a ring: open addressing with linear
// probing in a power-of-two table kept at most half full, deletion by
// backward shift. It costs a cache miss or two per event where a Go map
// of 65,536 entries costs three or more (lookup, delete, insert), the
// difference between about 60 and 160 ns. Hash 0 is the empty slot.
type idSet struct {
	slots []uint64
	n     int
	shift uint // 64 - log2(len(slots))
}

// home is the first slot of h: its top bits after a multiplicative mix,
// so that the slot does not depend on the hash's low bits alone.
func (s *idSet) home(h uint64) int { return int((h * 0x9e3779b97f4a7c15) >> s.shift) }

func (s *idSet) has(h uint64) bool {
	if s.n == 0 {
		return false
	}
	mask := len(s.slots) - 1
	for i := s.home(h); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// insert adds h, which is not in the set.
func (s *idSet) insert(h uint64) {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := len(s.slots) - 1
	i := s.home(h)
	for s.slots[i] != 0 {
		i = (i + 1) & mask
	}
	s.slots[i] = h
	s.n++
}

// remove deletes h when present, shifting back the entries after it that
// would no longer be found past the hole.
func (s *idSet) remove(h uint64) {
	if s.n == 0 {
		return
	}
	mask := len(s.slots) - 1
	i := s.home(h)
	for s.slots[i] != h {
		if s.slots[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	for j := i; ; {
		j = (j + 1) & mask
		if s.slots[j] == 0 {
			break
		}
		// The entry at j stays when its home is cyclically in (i, j].
		k := s.home(s.slots[j])
		if i <= j && i < k && k <= j || i > j && (i < k || k <= j) {
			continue
		}
		s.slots[i] = s.slots[j]
		i = j
	}
	s.slots[i] = 0
	s.n--
}

func (s *idSet) grow() {
	old := s.slots
	size := max(2*len(old), 256)
	s.slots = make([]uint64, size)
	s.shift = uint(64 - bits.TrailingZeros(uint(size)))
	s.n = 0
	for _, h := range old {
		if h != 0 {
			s.insert(h)
		}
	}
}

// eventHash is the hash of an event id in the ring.
func eventHash(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	if h == 0 {
		h = 1
	}
	return h
}

// add remembers h and reports whether it is new: false means h is among
// the ids remembered, a copy.
func (r *recentIDs) add(h uint64) bool {
	if r.index.has(h) {
		return false
	}
	p := int(r.written % uint64(r.capacity))
	switch {
	case p < len(r.ring):
		if old := r.ring[p]; old != 0 {
			r.index.remove(old)
		}
		r.ring[p] = h
	default:
		// First lap: the ring grows to p, past slots a restore left empty.
		for len(r.ring) < p {
			r.ring = append(r.ring, 0)
		}
		r.ring = append(r.ring, h)
	}
	r.index.insert(h)
	r.written++
	r.dirty[p/recentSegment] = struct{}{}
	return true
}

// checkpoint appends the changelog entries of the segments changed since
// the last call, for partition, and marks them clean.
func (r *recentIDs) checkpoint(partition int32, dst []StateEntry) []StateEntry {
	for seg := range r.dirty {
		from := seg * recentSegment
		to := min(from+recentSegment, len(r.ring))
		v := make([]byte, 0, 16+8*(to-from))
		v = append(v, stateVersion, byte(kindRecent))
		v = binary.AppendUvarint(v, r.written)
		v = binary.AppendUvarint(v, uint64(to-from))
		for _, h := range r.ring[from:to] {
			v = binary.LittleEndian.AppendUint64(v, h)
		}
		dst = append(dst, StateEntry{Partition: partition, Key: recentKey(seg), Value: v})
	}
	clear(r.dirty)
	return dst
}

func recentKey(seg int) []byte { return []byte(recentKeyPrefix + strconv.Itoa(seg)) }

// recentSegmentOf returns the segment number of a ring key, and whether
// key is one.
func recentSegmentOf(key []byte) (int, bool, error) {
	s, ok := strings.CutPrefix(string(key), recentKeyPrefix)
	if !ok {
		return 0, false, nil
	}
	seg, err := strconv.Atoi(s)
	if err != nil || seg < 0 {
		return 0, true, fmt.Errorf("recent events key %q: bad segment number", key)
	}
	return seg, true, nil
}

// restore puts back segment seg from its changelog value. A segment past
// the capacity (RecentEvents lowered since it was written) is dropped.
func (r *recentIDs) restore(seg int, value []byte) error {
	if len(value) < 2 || value[0] != stateVersion || stateKind(value[1]) != kindRecent {
		return errors.New("recent events segment: unknown version or kind")
	}
	rd := &stateReader{b: value[2:]}
	written := rd.uvarint("written")
	n := rd.count("hashes", 8)
	if rd.err != nil {
		return fmt.Errorf("recent events segment %d: %w", seg, rd.err)
	}
	if n > recentSegment || len(rd.b) != 8*n {
		return fmt.Errorf("recent events segment %d: %d hashes in %d bytes", seg, n, len(rd.b))
	}
	if seg >= r.capacity/recentSegment {
		return nil
	}
	from := seg * recentSegment
	for len(r.ring) < from+n {
		r.ring = append(r.ring, 0)
	}
	for i := range n {
		if old := r.ring[from+i]; old != 0 {
			r.index.remove(old)
		}
		h := binary.LittleEndian.Uint64(rd.b[8*i:])
		r.ring[from+i] = 0
		if h != 0 && !r.index.has(h) {
			r.ring[from+i] = h
			r.index.insert(h)
		}
	}
	r.written = max(r.written, written)
	return nil
}
