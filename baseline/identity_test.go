package baseline

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"
)

// TestEventHashStable shows that the hash of an event id, which the
// changelog carries from one process to the next, does not change: a
// different value would make every restored identity fold the copies of
// its recent events again.
func TestEventHashStable(t *testing.T) {
	for id, want := range map[string]uint64{
		"e":                                   0xfea6163e66fbb19,
		"aws:123456789012:role/agent-00001@3": 0xc6619a855ef0d2f9,
		"0d9c6fbb8bd8a2f3f7c0c2f9c5f2e0b1":    0x2e5ecdf8cf354231,
	} {
		if got := eventHash(id); got != want {
			t.Errorf("eventHash(%q) = %#x, want %#x", id, got, want)
		}
	}
}

// TestEventHashDistinct shows no two of a million event ids of the shapes
// aitdr makes (32 hex digits of a digest, source ids with a counter) hash
// alike.
func TestEventHashDistinct(t *testing.T) {
	seen := make(map[uint64]string, 1_000_000)
	add := func(id string) {
		h := eventHash(id)
		if other, ok := seen[h]; ok {
			t.Fatalf("eventHash(%q) = eventHash(%q) = %#x", id, other, h)
		}
		seen[h] = id
	}
	for i := range 500_000 {
		sum := sha256.Sum256([]byte(strconv.Itoa(i)))
		add(hex.EncodeToString(sum[:16]))
		add("aws:123456789012:role/agent@" + strconv.Itoa(i))
	}
}
