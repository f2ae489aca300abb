package srcjson

import (
	"time"

	"github.com/aitdr/aitdr/ingest"
)

// minTime and maxSkew bound a plausible event time: not before 2000, not
// more than a day ahead of the clock.
var minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const maxSkew = 24 * time.Hour

// Implausible says what makes t implausible as the time of an event read
// when the clock shows now: "before 2000", or "more than 24h in the
// future"; it returns "" for a plausible time. The reasons are phrased to
// follow a timestamp or "is".
func Implausible(t, now time.Time) string {
	switch {
	case t.Before(minTime):
		return "before 2000"
	case t.After(now.Add(maxSkew)):
		return "more than 24h in the future"
	}
	return ""
}

// timestampLayouts are the layouts ParseTimestamp tries, in order.
var timestampLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// ParseTimestamp parses s as RFC 3339 with or without the zone (then UTC),
// with a "T" or a space between date and time. The error is that of the
// last layout tried.
func ParseTimestamp(s string) (time.Time, error) {
	var err error
	for _, layout := range timestampLayouts {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// ParseTime parses the timestamp s of field as ParseTimestamp does, in
// UTC, and rejects an implausible time (see Implausible) with a
// *ingest.FieldError: "absurd timestamp 1999-12-31T23:59:59Z: before
// 2000". An empty s is missing.
func ParseTime(field, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, ingest.Missing(field)
	}
	t, err := ParseTimestamp(s)
	if err != nil {
		return time.Time{}, ingest.Invalid(field, "not a timestamp: %q", Excerpt(s))
	}
	t = t.UTC()
	if why := Implausible(t, now); why != "" {
		return time.Time{}, ingest.Invalid(field, "absurd timestamp %s: %s", t.Format(time.RFC3339), why)
	}
	return t, nil
}
