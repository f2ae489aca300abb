package rules

import (
	"math/rand/v2"
	"testing"
)

// TestIDSetMatchesAMap shows that the ring's hash set answers as a map
// does through a long mix of inserts and removals, the table growing and
// entries wrapping around its end, with clustered homes (a table of 256
// slots, hashes drawn from a few thousand values).
func TestIDSetMatchesAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var s idSet
	want := map[uint64]bool{}
	for step := range 200_000 {
		h := rng.Uint64N(4000) + 1
		// Keep the set under 400 entries, so removals and inserts both go on.
		if want[h] || len(want) > 400 && rng.IntN(2) == 0 {
			s.remove(h)
			delete(want, h)
		} else {
			s.insert(h)
			want[h] = true
		}
		if got := s.has(h); got != want[h] {
			t.Fatalf("step %d: has(%d) = %v, want %v", step, h, got, want[h])
		}
		if step%1000 == 0 {
			for v := uint64(1); v <= 4000; v++ {
				if s.has(v) != want[v] {
					t.Fatalf("step %d: has(%d) = %v, want %v", step, v, s.has(v), want[v])
				}
			}
			if s.n != len(want) {
				t.Fatalf("step %d: %d entries, want %d", step, s.n, len(want))
			}
		}
	}
	s.remove(99_999) // absent: no change
	if s.n != len(want) {
		t.Fatalf("removing an absent hash changed the count to %d, want %d", s.n, len(want))
	}
}

// TestIDSetRemoveAcrossTheEnd shows a removal whose run of entries wraps
// from the last slots of the table to the first: the entries after the
// hole that would still be found stay, the others move back.
func TestIDSetRemoveAcrossTheEnd(t *testing.T) {
	var s idSet
	s.grow() // 256 slots
	last := len(s.slots) - 1
	// Hashes whose home is the given slot, in the order of the homes.
	withHome := func(slot int, skip int) uint64 {
		for h := uint64(1); ; h++ {
			if s.home(h) == slot {
				if skip == 0 {
					return h
				}
				skip--
			}
		}
	}
	a, b, c, d := withHome(last-1, 0), withHome(last, 0), withHome(0, 0), withHome(0, 1)
	for _, h := range []uint64{a, b, c, d} {
		s.insert(h)
	}
	if s.slots[last-1] != a || s.slots[last] != b || s.slots[0] != c || s.slots[1] != d {
		t.Fatalf("test premise: slots %d..1 = %v %v %v %v", last-1, s.slots[last-1], s.slots[last], s.slots[0], s.slots[1])
	}
	s.remove(a)
	for _, h := range []uint64{b, c, d} {
		if !s.has(h) {
			t.Errorf("after removing the run's first entry, %d (home %d) is lost", h, s.home(h))
		}
	}
	s.remove(b)
	s.remove(c)
	if !s.has(d) || s.has(a) || s.has(b) || s.has(c) || s.n != 1 {
		t.Errorf("after removing three of four: has %v %v %v %v, %d entries", s.has(a), s.has(b), s.has(c), s.has(d), s.n)
	}
}
