package rules

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// The state of stateful rules lives in tables, one per rule and kind of
// state (window, sequence, terms, suppression), each keyed by the input
// partition and the group key. A table is bounded: past its capacity the
// least recently used key is evicted and counted. Changed keys are marked
// dirty until the stage checkpoints them to the changelog.

// stateKind names what a table holds; it is part of the changelog key.
type stateKind byte

const (
	kindWindow   stateKind = 'w'
	kindSequence stateKind = 'q'
	kindTerms    stateKind = 'n'
	kindSuppress stateKind = 's'
)

func (k stateKind) String() string {
	switch k {
	case kindWindow:
		return "window"
	case kindSequence:
		return "sequence"
	case kindTerms:
		return "terms"
	case kindSuppress:
		return "suppression"
	}
	return "unknown"
}

// skey is a state key: the input partition the group's events come from
// (the state lives on that partition's changelog) and the group.
type skey struct {
	partition int32
	group     string
}

// entry is one key's state.
type entry struct {
	key skey
	// lastOffset is the input offset of the last event folded into the
	// state; a replayed event at or below it is skipped. -1 when unknown.
	lastOffset int64
	// seen is the latest event time folded, in Unix nanoseconds.
	seen int64

	win   *windowState
	seq   *seqState
	terms *termsState
	sup   *supState

	prev, next *entry
}

// table is the state of one kind for one rule.
type table struct {
	rule   string
	kind   stateKind
	digest string
	cap    int
	m      map[skey]*entry
	// lru is the sentinel of the recency list: lru.next is the most
	// recently used entry, lru.prev the least.
	lru   entry
	dirty map[skey]struct{}
}

func newTable(rule string, kind stateKind, digest string, capacity int) *table {
	t := &table{rule: rule, kind: kind, digest: digest, cap: capacity, m: map[skey]*entry{}, dirty: map[skey]struct{}{}}
	t.lru.next, t.lru.prev = &t.lru, &t.lru
	return t
}

func (t *table) unlink(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (t *table) pushFront(e *entry) {
	e.next, e.prev = t.lru.next, &t.lru
	t.lru.next.prev = e
	t.lru.next = e
}

// get returns the entry of k, most recently used now, or nil.
func (t *table) get(k skey) *entry {
	e := t.m[k]
	if e != nil && t.lru.next != e {
		t.unlink(e)
		t.pushFront(e)
	}
	return e
}

// add inserts a new entry for k and returns it, evicting the least
// recently used entries past the capacity; evicted counts them.
func (t *table) add(k skey, evicted func()) *entry {
	e := &entry{key: k, lastOffset: -1}
	t.m[k] = e
	t.pushFront(e)
	for len(t.m) > t.cap && t.lru.prev != &t.lru {
		old := t.lru.prev
		if old == e {
			break
		}
		t.remove(old)
		if evicted != nil {
			evicted()
		}
	}
	return e
}

// remove deletes e and marks its key dirty, so that a tombstone is written.
func (t *table) remove(e *entry) {
	t.unlink(e)
	delete(t.m, e.key)
	t.dirty[e.key] = struct{}{}
}

func (t *table) touch(e *entry) { t.dirty[e.key] = struct{}{} }

// dropPartitions forgets the entries of partitions without tombstones: the
// partitions moved to another member, which restores them.
func (t *table) dropPartitions(parts map[int32]bool) {
	for k, e := range t.m {
		if parts[k.partition] {
			t.unlink(e)
			delete(t.m, k)
		}
	}
	for k := range t.dirty {
		if parts[k.partition] {
			delete(t.dirty, k)
		}
	}
}

// clearAll removes every entry with a tombstone: the rule changed or left
// the set.
func (t *table) clearAll() {
	for _, e := range t.m {
		t.remove(e)
	}
}

// stateKey is the changelog key of a table's entry: rule id, NUL, kind,
// group.
func stateKey(rule string, kind stateKind, group string) []byte {
	b := make([]byte, 0, len(rule)+2+len(group))
	b = append(b, rule...)
	b = append(b, 0, byte(kind))
	return append(b, group...)
}

// parseStateKey splits a changelog key.
func parseStateKey(key []byte) (rule string, kind stateKind, group string, err error) {
	i := strings.IndexByte(string(key), 0)
	if i <= 0 || i+1 >= len(key) {
		return "", 0, "", errors.New("not a rules state key")
	}
	return string(key[:i]), stateKind(key[i+1]), string(key[i+2:]), nil
}

// stateVersion is the encoding version of state values.
const stateVersion = 1

// windowState is a threshold rule's events in its window, oldest first.
type windowState struct {
	events []windowEvent
}

type windowEvent struct {
	t      int64 // event time, Unix ns
	seq    uint64
	id     string
	action string
	value  float64 // the summed value (sum)
	term   string  // the distinct value (distinct_count)
}

// seqState is a sequence rule's step events, oldest first per step.
type seqState struct {
	counter uint64
	steps   [][]seqEvent
}

type seqEvent struct {
	t      int64
	seq    uint64
	id     string
	action string
}

// termsState is a new_terms rule's known terms with when each was last seen.
type termsState struct {
	last map[string]int64
}

// supState is a key's suppression: when the last alert fired and how many
// firings were held back since.
type supState struct {
	lastAlert  int64
	suppressed int64
}

// encode returns the changelog value of e for a table of kind and digest.
func (e *entry) encode(kind stateKind, digest string) []byte {
	b := make([]byte, 0, 64)
	b = append(b, stateVersion, byte(kind))
	b = appendString(b, digest)
	b = binary.AppendVarint(b, e.lastOffset)
	b = binary.AppendVarint(b, e.seen)
	switch kind {
	case kindWindow:
		b = binary.AppendUvarint(b, uint64(len(e.win.events)))
		for _, w := range e.win.events {
			b = binary.AppendVarint(b, w.t)
			b = binary.AppendUvarint(b, w.seq)
			b = appendString(b, w.id)
			b = appendString(b, w.action)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(w.value))
			b = appendString(b, w.term)
		}
	case kindSequence:
		b = binary.AppendUvarint(b, e.seq.counter)
		b = binary.AppendUvarint(b, uint64(len(e.seq.steps)))
		for _, st := range e.seq.steps {
			b = binary.AppendUvarint(b, uint64(len(st)))
			for _, s := range st {
				b = binary.AppendVarint(b, s.t)
				b = binary.AppendUvarint(b, s.seq)
				b = appendString(b, s.id)
				b = appendString(b, s.action)
			}
		}
	case kindTerms:
		b = binary.AppendUvarint(b, uint64(len(e.terms.last)))
		for _, term := range sortedKeys(e.terms.last) {
			b = appendString(b, term)
			b = binary.AppendVarint(b, e.terms.last[term])
		}
	case kindSuppress:
		b = binary.AppendVarint(b, e.sup.lastAlert)
		b = binary.AppendVarint(b, e.sup.suppressed)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// stateReader reads an encoded value, remembering the first error.
type stateReader struct {
	b   []byte
	err error
}

func (r *stateReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("truncated or corrupt state value at %s", what)
	}
}

func (r *stateReader) varint(what string) int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) uvarint(what string) uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length and checks it against what the value can hold.
func (r *stateReader) count(what string, minSize int) int {
	n := r.uvarint(what)
	if r.err == nil && n > uint64(len(r.b)/max(minSize, 1)) {
		r.fail(what)
		return 0
	}
	return int(n)
}

func (r *stateReader) string(what string) string {
	n := r.uvarint(what)
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail(what)
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *stateReader) float(what string) float64 {
	if len(r.b) < 8 {
		r.fail(what)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

// decodeEntry reads a changelog value: its kind and digest, and the entry.
func decodeEntry(value []byte) (stateKind, string, *entry, error) {
	if len(value) < 2 || value[0] != stateVersion {
		return 0, "", nil, errors.New("unknown state value version")
	}
	kind := stateKind(value[1])
	r := &stateReader{b: value[2:]}
	digest := r.string("digest")
	e := &entry{lastOffset: r.varint("offset"), seen: r.varint("time")}
	switch kind {
	case kindWindow:
		n := r.count("window", 4)
		e.win = &windowState{events: make([]windowEvent, 0, n)}
		for range n {
			e.win.events = append(e.win.events, windowEvent{
				t: r.varint("event time"), seq: r.uvarint("event seq"), id: r.string("event id"),
				action: r.string("event action"), value: r.float("event value"), term: r.string("event term"),
			})
		}
	case kindSequence:
		e.seq = &seqState{counter: r.uvarint("counter")}
		steps := r.count("steps", 1)
		if steps > maxSequenceSteps {
			r.fail("steps")
		}
		for range steps {
			n := r.count("step", 4)
			st := make([]seqEvent, 0, n)
			for range n {
				st = append(st, seqEvent{t: r.varint("event time"), seq: r.uvarint("event seq"), id: r.string("event id"), action: r.string("event action")})
			}
			e.seq.steps = append(e.seq.steps, st)
		}
	case kindTerms:
		n := r.count("terms", 2)
		e.terms = &termsState{last: make(map[string]int64, n)}
		for range n {
			term := r.string("term")
			e.terms.last[term] = r.varint("term time")
		}
	case kindSuppress:
		e.sup = &supState{lastAlert: r.varint("last alert"), suppressed: r.varint("suppressed")}
	default:
		return 0, "", nil, fmt.Errorf("unknown state kind %q", byte(kind))
	}
	if r.err != nil {
		return 0, "", nil, r.err
	}
	return kind, digest, e, nil
}
