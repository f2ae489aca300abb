package srcjson_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/srcjson"
)

var now = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// TestImplausible shows the bounds of a plausible event time: not before
// 2000, not more than a day ahead of the clock.
func TestImplausible(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{time.Date(1999, 12, 31, 23, 59, 59, 999, time.UTC), "before 2000"},
		{time.Date(2000, 1, 1, 0, 30, 0, 0, time.FixedZone("+01", 3600)), "before 2000"},
		{now.Add(24 * time.Hour), ""},
		{now.Add(24*time.Hour + time.Nanosecond), "more than 24h in the future"},
	} {
		if got := srcjson.Implausible(tc.t, now); got != tc.want {
			t.Errorf("Implausible(%s) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

// TestParseTime shows the timestamp forms accepted, in UTC, and the errors
// naming the field.
func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		s, want, err string
	}{
		{"2025-03-14T08:02:17.331Z", "2025-03-14T08:02:17.331Z", ""},
		{"2025-03-14T09:02:17+01:00", "2025-03-14T08:02:17Z", ""},
		{"2025-03-14T08:02:17.1234567", "2025-03-14T08:02:17.1234567Z", ""},
		{"2025-03-14 08:02:17Z", "2025-03-14T08:02:17Z", ""},
		{"2025-03-14 08:02:17", "2025-03-14T08:02:17Z", ""},
		{"", "", "published: missing"},
		{"1747824721", "", `published: not a timestamp: "1747824721"`},
		{strings.Repeat("x", 101), "", `published: not a timestamp: "` + strings.Repeat("x", 100) + `…"`},
		{"1999-12-31T23:59:59Z", "", "published: absurd timestamp 1999-12-31T23:59:59Z: before 2000"},
		{"2025-06-02T00:00:01Z", "", "published: absurd timestamp 2025-06-02T00:00:01Z: more than 24h in the future"},
	} {
		got, err := srcjson.ParseTime("published", tc.s, now)
		if tc.err != "" {
			var fe *ingest.FieldError
			if err == nil || err.Error() != tc.err || !errors.As(err, &fe) {
				t.Errorf("ParseTime(%q) = %v, want the FieldError %q", tc.s, err, tc.err)
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339Nano) != tc.want || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %s, %v, want %s", tc.s, got, err, tc.want)
		}
	}
}
