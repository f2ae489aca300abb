package simulate

import (
	"testing"
	"time"
)

// A rhythm follows its zone's rules, daylight saving time included: the
// directory names the zone, and the enrich stage judges working hours by
// the zone's real offset.
func TestRhythmFollowsDaylightSavingTime(t *testing.T) {
	for _, tc := range []struct {
		zone        string
		day         time.Time // a Wednesday, UTC midnight
		startsAtUTC time.Time // the working day's start at 09:00 local
	}{
		{"Australia/Sydney", time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 17, 22, 0, 0, 0, time.UTC)}, // AEDT, +11
		{"Australia/Sydney", time.Date(2026, 6, 17, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 16, 23, 0, 0, 0, time.UTC)},   // AEST, +10
		{"America/New_York", time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 13, 0, 0, 0, time.UTC)},   // EDT, -4
		{"America/New_York", time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 18, 14, 0, 0, 0, time.UTC)}, // EST, -5
		{"Asia/Kolkata", time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 3, 30, 0, 0, time.UTC)},       // IST, +5:30
	} {
		r := rhythm{zone: tc.zone, offset: zoneOffsets[tc.zone], start: 9, length: 8}
		if got := r.nextLocal(tc.startsAtUTC.Add(-2*time.Hour), 9, 8, true); !got.Equal(tc.startsAtUTC) {
			t.Errorf("%s around %s: working day starts at %s UTC, want %s", tc.zone, tc.day.Format(time.DateOnly), got, tc.startsAtUTC)
		}
		if r.working(tc.startsAtUTC.Add(-time.Minute)) || !r.working(tc.startsAtUTC) {
			t.Errorf("%s: working(%s) should turn true exactly at 09:00 local", tc.zone, tc.startsAtUTC)
		}
		if h, _ := r.hourOf(tc.startsAtUTC); h != 9 {
			t.Errorf("%s: local hour at %s is %v, want 9", tc.zone, tc.startsAtUTC, h)
		}
	}
}
