package baseline

import (
	"slices"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

const dayMillis = 86_400_000

// identity is the baseline of one identity. It is owned by its partition's
// worker goroutine.
type identity struct {
	key        string
	peer       *peerStats     // nil when the events name no peer group
	zone       *time.Location // of the newest event; nil until one after a restore
	lastOffset int64          // the input offset of the last folded event
	maxTime    int64          // the newest folded event time, Unix ms
	firstTime  int64          // the oldest folded event time, Unix ms
	events     int64          // folded events
	totals     totals
	cats       []categoryStats // sorted by cat
	seen       []seenEntry
	recent     []recentEvent // events folded within the lateness, in fold order
	prof       profile
	hist       volumeHist
	dirty      bool // changed since the last checkpoint
	snap       bool // changed since the last snapshot
}

// clone returns a copy of id, for computing the features of a replayed
// event without changing the baseline; recent is shared, since apply does
// not touch it.
func (id *identity) clone() *identity {
	c := *id
	c.cats = slices.Clone(id.cats)
	c.seen = slices.Clone(id.seen)
	return &c
}

// maxRecent bounds the events an identity remembers to recognize their
// copies. A copy is an event a stage before the baseline (ingest, enrich)
// processed again after a crash because it had not committed it: it comes
// back at a new offset, at most that stage's uncommitted window after the
// original. The stream Runner bounds the window (stream.Config): the batch
// in hand (MaxPollRecords), the outputs not yet acknowledged
// (MaxInFlightRecords) and what was processed since the last commit
// (CommitInterval, 1s), so an original and its copy are a few seconds of
// traffic apart, replays of two stages included. A copy of an event older
// than the lateness behind its identity's newest is late and never folded,
// so only the events folded within the lateness are remembered, the last
// maxRecent of them: enough for every identity with fewer events than that
// in those seconds (about ten a second). A busier identity can fold a copy
// whose original it no longer remembers.
const maxRecent = 64

// recentEvent is an event folded into an identity's baseline, remembered
// so that a copy of it is not folded again: the FNV-1a hash of its id and
// its time in Unix seconds (the lateness needs no finer grain, and the
// changelog stores seconds).
type recentEvent struct {
	hash uint64
	sec  int64
}

// eventHash is the hash of an event id that recent keeps: a stable hash,
// since the changelog carries it from one process to the next, that takes
// eight bytes a step (an id is 30 to 70 bytes, and FNV-1a's byte a step
// would cost more than the rest of the lookup), with a murmur3 finish so
// that every input bit reaches every output bit.
func eventHash(eventID string) uint64 {
	const m = 0x9e3779b97f4a7c15
	h := uint64(len(eventID)) * m
	s := eventID
	for ; len(s) >= 8; s = s[8:] {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = (h ^ w) * m
		h ^= h >> 29
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	h = (h ^ w) * m
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// folded reports whether the event of id hash h is among the events id
// folded lately.
func (id *identity) folded(h uint64) bool {
	for i := range id.recent {
		if id.recent[i].hash == h {
			return true
		}
	}
	return false
}

// remember adds the event of id hash h at time t (Unix ms), just folded,
// to id.recent: it forgets first the events more than the lateness behind
// the newest, then, when maxRecent are left, the oldest.
func (id *identity) remember(h uint64, t, lateness int64) {
	cutoff := recentCutoff(id.maxTime, lateness)
	id.recent = slices.DeleteFunc(id.recent, func(r recentEvent) bool { return r.sec < cutoff })
	if len(id.recent) >= maxRecent {
		oldest := 0
		for i := range id.recent {
			if id.recent[i].sec < id.recent[oldest].sec {
				oldest = i
			}
		}
		id.recent = slices.Delete(id.recent, oldest, oldest+1)
	}
	id.recent = append(id.recent, recentEvent{hash: h, sec: t / 1000})
}

// recentCutoff is the oldest second an identity whose newest event is at
// maxTime (Unix ms) remembers: a copy of an earlier event is late. Event
// times are after 2000 (earlier ones are absurd), so the division rounds
// down.
func recentCutoff(maxTime, lateness int64) int64 { return (maxTime - lateness) / 1000 }

// category returns the stats of category cat, adding them when missing.
func (id *identity) category(cat uint8) *categoryStats {
	i := 0
	for ; i < len(id.cats) && id.cats[i].cat < cat; i++ {
	}
	if i == len(id.cats) || id.cats[i].cat != cat {
		id.cats = slices.Insert(id.cats, i, categoryStats{cat: cat})
	}
	return &id.cats[i]
}

// apply folds the event at time t (Unix ms, not late) into id and fills f
// with its features. foldPeer says whether completed buckets also feed the
// peer group: false when id is a throw-away clone.
func (m *model) apply(id *identity, ev *schemas.Event, t int64, f *schemas.Features, foldPeer bool) {
	first := id.events == 0
	prevMax := id.maxTime
	switch {
	case first:
		id.maxTime, id.firstTime = t, t
		id.prof.week = weekOf(t)
	case t > id.maxTime:
		m.advance(id, t, foldPeer)
	}

	// The event's sums, in its bucket: the current one, or the previous
	// one for an out-of-order event within the lateness.
	bytes := clampAdd(ev.Volume.BytesIn, ev.Volume.BytesOut)
	sums := [numMeasures]uint64{1, bytes, nonNegative(ev.Volume.Records), clampAdd(ev.Volume.TokensIn, ev.Volume.TokensOut)}
	cs := id.category(m.categoryOf(ev.Action.Category))
	for h := range numHorizons {
		var cur bool
		switch bucketOf(id.maxTime, h) - bucketOf(t, h) {
		case 0:
			cur = true
		case 1:
		default:
			continue // unreachable: Lateness is at most the shortest horizon
		}
		for i := range numMeasures {
			s := &id.totals.s[h][i]
			if cur {
				s.cur = satAdd(s.cur, sums[i])
			} else {
				s.prev = satAdd(s.prev, sums[i])
			}
		}
		for i := range numCategoryMeasures {
			s := &cs.s[h][i]
			if cur {
				s.cur = satAdd(s.cur, sums[i])
			} else {
				s.prev = satAdd(s.prev, sums[i])
			}
		}
	}

	f.Available = true
	f.BaselineEvents = id.events
	f.Learning = id.events < m.learnEvents || t-id.firstTime < m.learnPeriod
	if !first && t > prevMax {
		f.IdleDays = float64(t-prevMax) / dayMillis
	}
	m.scoreWindows(id, cs, f)

	loc := m.zoneOf(ev)
	id.zone = loc
	how := hourOfWeek(t, loc)
	f.HourTypicality = id.prof.typicality(how)
	f.AfterHours = !f.Learning && f.HourTypicality < m.afterHoursBelow
	volume := eventVolume(&ev.Volume)
	f.VolumePercentile = id.hist.percentile(volume)

	var hashes [numSeenSets]uint64
	present := seenValues(ev, &hashes)
	minute := minutesOf(t)
	var firstSeen [numSeenSets]uint32
	var isNew [numSeenSets]bool
	id.seen = observeSeen(id.seen, &present, &hashes, minute, &m.limits, &isNew, &firstSeen)
	for s := range numSeenSets {
		if !present[s] {
			continue
		}
		days := 0.0
		if !isNew[s] && minute > firstSeen[s] {
			days = float64(minute-firstSeen[s]) / 1440
		}
		setSeen(f, s, isNew[s], days)
	}

	id.prof.add(how)
	id.hist.add(volume)
	id.events++
	id.firstTime = min(id.firstTime, t)
}

// advance moves id's buckets to time t, later than its newest event.
func (m *model) advance(id *identity, t int64, foldPeer bool) {
	for h := range numHorizons {
		k := bucketOf(t, h) - bucketOf(id.maxTime, h)
		if k == 0 {
			break // buckets nest: a longer horizon cannot move when a shorter did not
		}
		var folded [2][numMeasures]uint64
		n := advance(k, &id.totals.n[h], id.totals.s[h][:], m.alpha[h], &folded)
		if foldPeer && id.peer != nil {
			for i := range n {
				id.peer.fold(h, &folded[i], m.alpha[h])
			}
		}
		for i := range id.cats {
			c := &id.cats[i]
			advance(k, &c.n[h], c.s[h][:], m.alpha[h], nil)
		}
	}
	id.maxTime = t
	id.prof.decayTo(weekOf(t))
}

// scoreWindows fills the window sums, ratios and z-scores of every horizon,
// and the peer ratios.
func (m *model) scoreWindows(id *identity, cs *categoryStats, f *schemas.Features) {
	var obs1h [numMeasures]float64
	for h := range numHorizons {
		frac := float64(id.maxTime-bucketOf(id.maxTime, h)*horizonMillis[h]) / float64(horizonMillis[h])
		n := id.totals.n[h]
		for i := range numMeasures {
			s := &id.totals.s[h][i]
			obs := s.window(frac)
			ratio, z := s.score(obs, n, i)
			if h == h1h {
				obs1h[i] = obs
			}
			switch i {
			case mEvents:
				setHorizon(&f.WindowEvents, h, obs)
				setHorizon(&f.RateRatio, h, ratio)
				setHorizon(&f.RateZ, h, z)
			case mBytes:
				setHorizon(&f.WindowBytes, h, obs)
				setHorizon(&f.BytesRatio, h, ratio)
				setHorizon(&f.BytesZ, h, z)
			case mRecords:
				setHorizon(&f.WindowRecords, h, obs)
				setHorizon(&f.RecordsRatio, h, ratio)
				setHorizon(&f.RecordsZ, h, z)
			case mTokens:
				setHorizon(&f.WindowTokens, h, obs)
				setHorizon(&f.TokensRatio, h, ratio)
				setHorizon(&f.TokensZ, h, z)
			}
		}
		events, bytes := &cs.s[h][mEvents], &cs.s[h][mBytes]
		ratio, z := events.score(events.window(frac), cs.n[h], mEvents)
		setHorizon(&f.CategoryRateRatio, h, ratio)
		setHorizon(&f.CategoryRateZ, h, z)
		ratio, _ = bytes.score(bytes.window(frac), cs.n[h], mBytes)
		setHorizon(&f.CategoryBytesRatio, h, ratio)
	}
	if p := id.peer; p != nil && p.n[h1h] > 0 {
		ratio := func(i int) float64 {
			return obs1h[i] / fmax(float64(p.s[h1h][i].mean), measureFloor[i])
		}
		f.PeerRateRatio = ratio(mEvents)
		f.PeerVolumeRatio = max(ratio(mBytes), ratio(mRecords), ratio(mTokens))
	}
}

func setHorizon(hz *schemas.Horizons, h int, v float64) {
	switch h {
	case h5m:
		hz.M5 = v
	case h1h:
		hz.H1 = v
	case h1d:
		hz.D1 = v
	}
}

func setSeen(f *schemas.Features, s int, isNew bool, days float64) {
	d := &f.DaysSinceFirstSeen
	switch s {
	case setAction:
		f.IsNewAction, d.Action = isNew, days
	case setResource:
		f.IsNewResource, d.Resource = isNew, days
	case setSourceIP:
		f.IsNewSourceIP, d.SourceIP = isNew, days
	case setASN:
		f.IsNewASN, d.ASN = isNew, days
	case setCountry:
		f.IsNewCountry, d.Country = isNew, days
	case setUserAgent:
		f.IsNewUserAgent, d.UserAgent = isNew, days
	case setModel:
		f.IsNewModel, d.Model = isNew, days
	case setAIService:
		f.IsNewAIService, d.AIService = isNew, days
	case setTenant:
		f.IsNewTenant, d.Tenant = isNew, days
	case setEnvironment:
		f.IsNewEnvironment, d.Environment = isNew, days
	}
}
