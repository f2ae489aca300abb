package baseline

import (
	"math/bits"

	"github.com/aitdr/aitdr/schemas"
)

const (
	volumeBuckets = 64
	// volumeRecent is the count at which the volume histogram halves: its
	// percentiles speak of roughly the identity's last 2,000 to 4,000
	// events, the older ones weighing half at each halving.
	volumeRecent = 4096
)

// volumeHist is the distribution of an identity's per-event volume in
// half-octave buckets: bucket 0 holds zero, bucket 1+2k+s holds volumes
// from 2^k (s = 0) or 1.5 * 2^k (s = 1) up to the next bucket, and the
// last bucket everything from about 2^31.
type volumeHist struct {
	c     [volumeBuckets]uint16
	total uint32 // derived, not encoded
}

// eventVolume is the volume of one event for its percentile rank: the bytes
// moved (in + out) when the source counts bytes, else the model tokens (in
// + out), else the records touched.
func eventVolume(v *schemas.Volume) uint64 {
	if b := clampAdd(v.BytesIn, v.BytesOut); b > 0 {
		return b
	}
	if t := clampAdd(v.TokensIn, v.TokensOut); t > 0 {
		return t
	}
	return nonNegative(v.Records)
}

func volumeBucket(v uint64) int {
	if v == 0 {
		return 0
	}
	k := bits.Len64(v) - 1
	s := 0
	if k > 0 {
		s = int(v>>(k-1)) & 1
	}
	return min(1+2*k+s, volumeBuckets-1)
}

// percentile returns the percentile rank (0 to 100) of v among the counted
// volumes: the share of smaller ones plus half the share of its bucket;
// 0 on an empty histogram.
func (h *volumeHist) percentile(v uint64) float64 {
	if h.total == 0 {
		return 0
	}
	b := volumeBucket(v)
	var below uint32
	for _, c := range h.c[:b] {
		below += uint32(c)
	}
	return 100 * (float64(below) + float64(h.c[b])/2) / float64(h.total)
}

func (h *volumeHist) add(v uint64) {
	if h.total >= volumeRecent {
		h.total = 0
		for i := range h.c {
			h.c[i] /= 2
			h.total += uint32(h.c[i])
		}
	}
	h.c[volumeBucket(v)]++
	h.total++
}

func (h *volumeHist) recomputeTotal() {
	h.total = 0
	for _, c := range h.c {
		h.total += uint32(c)
	}
}

// clampAdd adds two counts, negative ones as zero, saturating.
func clampAdd(a, b int64) uint64 {
	s, carry := bits.Add64(nonNegative(a), nonNegative(b), 0)
	if carry != 0 {
		return ^uint64(0)
	}
	return s
}

func nonNegative(v int64) uint64 {
	if v < 0 {
		return 0
	}
	return uint64(v)
}

// satAdd adds b to a, saturating.
func satAdd(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return ^uint64(0)
	}
	return s
}
