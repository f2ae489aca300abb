package baseline

import "math"

// Horizons and measures of the rolling statistics.
const (
	h5m = iota
	h1h
	h1d
	numHorizons
)

// horizonMillis is the bucket length of each horizon. Buckets are aligned
// on the Unix epoch, so every identity's buckets of a horizon line up.
var horizonMillis = [numHorizons]int64{5 * 60_000, 3_600_000, 86_400_000}

// horizonNames name the horizons in snapshots and in the docs.
var horizonNames = [numHorizons]string{"5m", "1h", "1d"}

// Measures of the identity totals; the category series keep the first two.
const (
	mEvents = iota
	mBytes
	mRecords
	mTokens
	numMeasures
	numCategoryMeasures = 2
)

// measureNames name the measures in snapshots.
var measureNames = [numMeasures]string{"rate", "bytes", "records", "tokens"}

// measureFloor is the smallest baseline mean a ratio divides by and the
// smallest standard deviation a z-score divides by, per measure: a baseline
// of nothing makes any activity a large but finite multiple of one event,
// one KiB, one record or 100 tokens.
var measureFloor = [numMeasures]float64{1, 1024, 1, 100}

// stat is one measure over one horizon: the sums of the current and the
// previous bucket (still open, see Config.Lateness) and the exponentially
// weighted mean and variance of the completed active buckets' sums.
type stat struct {
	cur, prev uint64
	mean      float32
	variance  float32
}

// fold adds a completed bucket's sum x to the mean and variance with weight
// a (West's incremental form of the exponentially weighted variance).
// Arithmetic is in float64, state in float32: the stored values round-trip
// through the changelog exactly.
func (s *stat) fold(x, a float64) {
	mean, variance := float64(s.mean), float64(s.variance)
	d := x - mean
	inc := a * d
	mean += inc
	variance = (1 - a) * (variance + d*inc)
	s.mean, s.variance = float32(mean), float32(variance)
}

// weight is the EWMA weight of the n-th folded bucket: 1/n while that is
// larger than alpha (a plain running mean and population variance), alpha
// after.
func weight(alpha float64, n uint32) float64 {
	if w := 1 / float64(n); w > alpha {
		return w
	}
	return alpha
}

// alphaOf returns the weight of a span of n buckets.
func alphaOf(n int) float64 { return 2 / (float64(n) + 1) }

// bucketOf returns the bucket index of t (Unix ms) in horizon h.
func bucketOf(t int64, h int) int64 { return floorDiv(t, horizonMillis[h]) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// advance moves one horizon of a series k buckets forward: the previous
// bucket completes, and so does the current one when k > 1; each completed
// bucket that saw events (measure 0 > 0) is folded, and n counts them.
// It returns the sums folded, for the peer group, in folded[0..count).
func advance(k int64, n *uint32, ms []stat, alpha float64, folded *[2][numMeasures]uint64) int {
	if k <= 0 {
		return 0
	}
	count := 0
	foldBucket := func(sum func(*stat) uint64) {
		*n++
		a := weight(alpha, *n)
		for i := range ms {
			x := sum(&ms[i])
			ms[i].fold(float64(x), a)
			if folded != nil {
				folded[count][i] = x
			}
		}
		count++
	}
	if ms[0].prev > 0 {
		foldBucket(func(s *stat) uint64 { return s.prev })
	}
	if k == 1 {
		for i := range ms {
			ms[i].prev, ms[i].cur = ms[i].cur, 0
		}
		return count
	}
	if ms[0].cur > 0 {
		foldBucket(func(s *stat) uint64 { return s.cur })
	}
	for i := range ms {
		ms[i].prev, ms[i].cur = 0, 0
	}
	return count
}

// window returns the sliding sum of a measure over the horizon ending at
// the identity's newest event: the current bucket plus the part of the
// previous bucket that the horizon still covers, frac being how far into
// the current bucket the newest event is (0 to 1).
func (s *stat) window(frac float64) float64 {
	return float64(s.cur) + float64(s.prev)*(1-frac)
}

// score returns the ratio and z-score of observed against the baseline of
// s, with the floors of measure m; both are 0 while no bucket was folded.
func (s *stat) score(observed float64, n uint32, m int) (ratio, z float64) {
	if n == 0 {
		return 0, 0
	}
	mean := float64(s.mean)
	floor := measureFloor[m]
	ratio = observed / fmax(mean, floor)
	sd := fmax(math.Sqrt(fmax(float64(s.variance), 0)), fmax(0.1*mean, floor))
	z = (observed - mean) / sd
	return ratio, z
}

// fmax returns the larger of two finite numbers, without math.Max's
// handling of NaNs and signed zeros, which the hot path does not need.
func fmax(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// totals are an identity's measures over every horizon.
type totals struct {
	n [numHorizons]uint32
	s [numHorizons][numMeasures]stat
}

// categoryStats are an identity's events and bytes of one category.
type categoryStats struct {
	cat uint8 // index in schemas.Categories()
	n   [numHorizons]uint32
	s   [numHorizons][numCategoryMeasures]stat
}

// peerStats is the baseline of a peer group in one partition: the
// exponentially weighted mean and variance of its members' completed
// active buckets.
type peerStats struct {
	name  string
	n     [numHorizons]uint32
	s     [numHorizons][numMeasures]stat // cur and prev unused
	dirty bool
}

// fold adds the sums of one member's completed bucket of horizon h.
func (p *peerStats) fold(h int, sums *[numMeasures]uint64, alpha float64) {
	p.n[h]++
	a := weight(alpha, p.n[h])
	for m := range numMeasures {
		p.s[h][m].fold(float64(sums[m]), a)
	}
	p.dirty = true
}
