package simulate

import (
	"encoding/hex"
	"math"
	"math/rand/v2"
	"strconv"
)

// rng is the deterministic random source of one actor: a PCG stream
// seeded from the simulation seed and the actor's own index, so that the
// records of an actor do not depend on how the others interleave.
type rng struct{ *rand.Rand }

// newRNG returns the stream of index under seed.
func newRNG(seed int64, index uint64) rng {
	// Mixing keeps neighbouring seeds and indexes far apart.
	return rng{rand.New(rand.NewPCG(uint64(seed)^0x9e3779b97f4a7c15, index*0xbf58476d1ce4e5b9+1))}
}

const (
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	base62     = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	base32AWS  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	hexDigits  = "0123456789abcdef"
	digits     = "0123456789"
)

// chars returns n bytes drawn from alphabet.
func (r rng) chars(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// uuid returns a random (version 4) UUID in its canonical text form.
func (r rng) uuid() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// hex returns n random hex digits.
func (r rng) hex(n int) string { return r.chars(hexDigits, n) }

// between returns a uniform integer in [lo, hi].
func (r rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

// betweenF returns a uniform float in [lo, hi).
func (r rng) betweenF(lo, hi float64) float64 { return lo + r.Float64()*(hi-lo) }

// chance reports true with probability p.
func (r rng) chance(p float64) bool { return r.Float64() < p }

// logNormal returns a log-normal value with the given median and spread
// (the standard deviation of its logarithm): data sizes and token counts
// are heavy-tailed.
func (r rng) logNormal(median, spread float64) float64 {
	return median * math.Exp(r.NormFloat64()*spread)
}

// pick returns a uniformly chosen element of list.
func pick[T any](r rng, list []T) T { return list[r.IntN(len(list))] }

// weighted is a choice with its weight.
type weighted[T any] struct {
	w float64
	v T
}

// choose returns a choice drawn with probability proportional to its
// weight; the zero T when every weight is zero.
func choose[T any](r rng, choices []weighted[T]) T {
	total := 0.0
	for _, c := range choices {
		total += c.w
	}
	if total <= 0 {
		var zero T
		return zero
	}
	x := r.Float64() * total
	for _, c := range choices {
		if x < c.w {
			return c.v
		}
		x -= c.w
	}
	return choices[len(choices)-1].v
}

// ipv4 returns an address of the /24 prefix (such as "198.51.100") with a
// host part in [lo, hi].
func (r rng) ipv4(prefix string, lo, hi int) string {
	return prefix + "." + strconv.Itoa(r.between(lo, hi))
}
