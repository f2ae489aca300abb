package baseline

import (
	"fmt"
	"strings"

	"github.com/aitdr/aitdr/internal/changelog"
	"github.com/aitdr/aitdr/schemas"
)

// Outcome is what Observe did with an event.
type Outcome uint8

// Outcomes of Observe. Every outcome but Folded leaves the baselines as they
// were.
const (
	// Folded: the event's features were computed and the event folded into
	// its identity's baseline.
	Folded Outcome = iota
	// Replayed: the event's offset was already folded (a redelivery after a
	// restart); its features were computed against the baseline without
	// folding it again.
	Replayed
	// Late: the event is older than its identity's newest event by more
	// than the lateness; features unavailable ("late_event").
	Late
	// NoIdentity: the event names no identity; features unavailable
	// ("no_identity").
	NoIdentity
	// AbsurdTime: the event's time is implausible; features unavailable
	// ("absurd_time").
	AbsurdTime
	// Copy: the event's id was folded lately at another offset: a copy
	// produced again by a stage before the baseline after a crash. Its
	// features are computed as for a replay (Features.Replayed) and it is
	// not folded again.
	Copy
	numOutcomes
)

// outcomeNames are the Outcome names in metrics, and the
// UnavailableReason of the unavailable ones.
var outcomeNames = [numOutcomes]string{"folded", "replayed", "late_event", "no_identity", "absurd_time", "copy"}

// String returns the outcome's name in metrics: folded, replayed,
// late_event, no_identity, absurd_time or copy.
func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// peerKeyPrefix starts the changelog key of a peer group's baseline; no
// identity id starts with a NUL byte (Observe treats such ids as none).
const peerKeyPrefix = "\x00peer:"

// Partition holds the baselines of the identities of one input partition
// and the baselines of their peer groups. Its worker owns it: it is not
// safe for concurrent use, and needs no lock.
type Partition struct {
	id      int32
	m       *model
	ids     map[string]*identity
	peers   map[string]*peerStats
	dirty   []*identity
	deleted []string // identities dropped by retention, to tombstone
	newest  int64    // the newest event time folded, Unix ms
}

// NewPartition returns the empty baselines of input partition id under cfg.
func NewPartition(cfg Config, id int32) (*Partition, error) {
	m, err := newModel(cfg)
	if err != nil {
		return nil, err
	}
	return newPartition(m, id), nil
}

func newPartition(m *model, id int32) *Partition {
	return &Partition{id: id, m: m, ids: make(map[string]*identity), peers: make(map[string]*peerStats)}
}

// Len returns the number of identities with a baseline.
func (p *Partition) Len() int { return len(p.ids) }

// Observe computes the features of ev, read at input offset offset, into
// ev.Features (replacing what was there) and folds ev into its identity's
// baseline, unless the Outcome says otherwise. Offsets of one identity must
// grow with each call; an offset at or below the last one folded for the
// identity is a redelivery, and so is an event whose id the identity
// folded lately (a copy at a new offset).
func (p *Partition) Observe(offset int64, ev *schemas.Event) Outcome {
	f := &ev.Features
	*f = schemas.Features{}
	key := ev.Identity.ID
	if key == "" || key[0] == 0 {
		f.UnavailableReason = outcomeNames[NoIdentity]
		return NoIdentity
	}
	if p.m.absurd(ev) {
		f.UnavailableReason = outcomeNames[AbsurdTime]
		return AbsurdTime
	}
	t := ev.Time.UnixMilli()
	var h uint64
	if ev.ID != "" {
		h = eventHash(ev.ID)
	}
	id := p.ids[key]
	switch {
	case id == nil:
		id = &identity{key: key}
		p.ids[key] = id
	case offset <= id.lastOffset:
		return p.replay(id, ev, t, Replayed)
	case ev.ID != "" && id.folded(h):
		return p.replay(id, ev, t, Copy)
	case t < id.maxTime-p.m.lateness:
		f.UnavailableReason = outcomeNames[Late]
		return Late
	}
	p.setPeer(id, ev)
	p.m.apply(id, ev, t, f, true)
	if ev.ID != "" {
		id.remember(h, t, p.m.lateness)
	}
	id.lastOffset = offset
	id.snap = true
	if !id.dirty {
		id.dirty = true
		p.dirty = append(p.dirty, id)
	}
	p.newest = max(p.newest, t)
	return Folded
}

// replay computes the features of an event already folded, on a copy of
// its identity's baseline, and returns outcome (Replayed or Copy).
func (p *Partition) replay(id *identity, ev *schemas.Event, t int64, outcome Outcome) Outcome {
	f := &ev.Features
	f.Replayed = true
	if t < id.maxTime-p.m.lateness {
		f.UnavailableReason = outcomeNames[Late]
		return outcome
	}
	p.m.apply(id.clone(), ev, t, f, false)
	return outcome
}

// setPeer points id at the peer group its event names: the enrichment's
// peer group, else "<class>/<team>" when the class is known.
func (p *Partition) setPeer(id *identity, ev *schemas.Event) {
	e := &ev.Enrichment
	if e.PeerGroup == "" && e.Class == "" {
		return // keep the group of earlier events
	}
	if id.peer != nil && isGroup(id.peer.name, e) {
		return
	}
	name := e.PeerGroup
	if name == "" {
		name = string(e.Class) + "/" + e.Team
	}
	id.peer = p.peer(name)
}

// isGroup reports whether name is the peer group the enrichment names,
// without building the default name.
func isGroup(name string, e *schemas.Enrichment) bool {
	if e.PeerGroup != "" {
		return name == e.PeerGroup
	}
	class := string(e.Class)
	return len(name) == len(class)+1+len(e.Team) && strings.HasPrefix(name, class) &&
		name[len(class)] == '/' && strings.HasSuffix(name, e.Team)
}

// peer returns the baseline of peer group name, creating it when missing.
func (p *Partition) peer(name string) *peerStats {
	ps := p.peers[name]
	if ps == nil {
		ps = &peerStats{name: name}
		p.peers[name] = ps
	}
	return ps
}

// Checkpoint appends to dst the changelog entries of the baselines changed
// since the last call (tombstones of identities dropped by retention, then
// identities and peer groups), and marks them clean.
func (p *Partition) Checkpoint(dst []changelog.Entry) []changelog.Entry {
	// Tombstones first: an identity dropped and seen again since has a new
	// baseline, written after, which compaction keeps.
	for _, key := range p.deleted {
		dst = append(dst, changelog.Entry{Partition: p.id, Key: []byte(key)})
	}
	clear(p.deleted)
	p.deleted = p.deleted[:0]
	for _, id := range p.dirty {
		id.dirty = false
		if p.ids[id.key] != id {
			continue // dropped since
		}
		dst = append(dst, changelog.Entry{Partition: p.id, Key: []byte(id.key), Value: appendIdentity(nil, id)})
	}
	clear(p.dirty)
	p.dirty = p.dirty[:0]
	for name, ps := range p.peers {
		if ps.dirty {
			ps.dirty = false
			dst = append(dst, changelog.Entry{Partition: p.id, Key: []byte(peerKeyPrefix + name), Value: appendPeer(nil, ps)})
		}
	}
	return dst
}

// Restore applies one changelog record of this partition: a baseline
// written by Checkpoint, or a tombstone (nil value). A value it cannot
// decode is an error naming the cause, and leaves the partition as it was.
func (p *Partition) Restore(key, value []byte) error {
	if name, ok := strings.CutPrefix(string(key), peerKeyPrefix); ok {
		if value == nil {
			delete(p.peers, name)
			return nil
		}
		var ps peerStats
		if err := decodePeer(value, &ps); err != nil {
			return err
		}
		// Identities restored earlier point at the group already.
		dst := p.peer(name)
		dst.n, dst.s = ps.n, ps.s
		return nil
	}
	k := string(key)
	if value == nil {
		delete(p.ids, k)
		return nil
	}
	id := &identity{key: k}
	group, err := decodeIdentity(value, id)
	if err != nil {
		return err
	}
	if group != "" {
		id.peer = p.peer(group)
	}
	p.ids[k] = id
	p.newest = max(p.newest, id.maxTime)
	return nil
}

// Sweep drops the identities idle for longer than the retention (event
// time, against the partition's newest event) and queues their tombstones
// for the next Checkpoint; it returns how many it dropped. The Worker runs
// it hourly.
func (p *Partition) Sweep() int {
	if p.m.retention <= 0 {
		return 0
	}
	n := 0
	for key, id := range p.ids {
		if p.newest-id.maxTime > p.m.retention {
			delete(p.ids, key)
			p.deleted = append(p.deleted, key)
			n++
		}
	}
	return n
}
