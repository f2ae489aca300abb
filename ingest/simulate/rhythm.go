package simulate

import (
	"slices"
	"sync"
	"time"
	_ "time/tzdata" // the zones' rules travel with the binary: the same output on every host
)

// zoneOffsets are the time zones people can live in, with their standard
// offsets from UTC (the office networks are placed by them). Activity
// follows the zones' own rules, daylight saving time included, as the
// enrich stage reads the directory's zones.
var zoneOffsets = map[string]time.Duration{
	"America/Los_Angeles": -8 * time.Hour,
	"America/Denver":      -7 * time.Hour,
	"America/Chicago":     -6 * time.Hour,
	"America/New_York":    -5 * time.Hour,
	"America/Sao_Paulo":   -3 * time.Hour,
	"Europe/London":       0,
	"Europe/Berlin":       1 * time.Hour,
	"Europe/Paris":        1 * time.Hour,
	"Europe/Warsaw":       1 * time.Hour,
	"Asia/Dubai":          4 * time.Hour,
	"Asia/Kolkata":        5*time.Hour + 30*time.Minute,
	"Asia/Singapore":      8 * time.Hour,
	"Asia/Tokyo":          9 * time.Hour,
	"Australia/Sydney":    10 * time.Hour,
}

// TimeZones returns the names of the time zones people can live in.
func TimeZones() []string {
	out := make([]string, 0, len(zoneOffsets))
	for z := range zoneOffsets {
		out = append(out, z)
	}
	slices.Sort(out)
	return out
}

// zoneLocations are the zones of zoneOffsets, loaded from the time zone
// database embedded in the binary; a zone it lacks keeps its standard
// offset.
var zoneLocations = sync.OnceValue(func() map[string]*time.Location {
	out := make(map[string]*time.Location, len(zoneOffsets))
	for z, off := range zoneOffsets {
		loc, err := time.LoadLocation(z)
		if err != nil {
			loc = time.FixedZone(z, int(off/time.Second))
		}
		out[z] = loc
	}
	return out
})

// location is the rhythm's zone; UTC for one not among zoneOffsets.
func (r *rhythm) location() *time.Location {
	if loc, ok := zoneLocations()[r.zone]; ok {
		return loc
	}
	return time.UTC
}

// rhythm is when an identity is active: its working hours in its own zone
// and how much it does outside them. Intensity is 1 at the peak of a
// working day.
type rhythm struct {
	zone   string
	offset time.Duration
	// start and length of the working day, in hours of local time.
	start, length float64
	// night is the intensity outside working hours on a working day;
	// weekend multiplies every intensity on Saturdays and Sundays.
	night, weekend float64
	// floor is the least intensity at any time: 0 for people; above 0
	// for workloads that run around the clock.
	floor float64
}

// local returns t in the identity's local time, as a time in UTC whose
// clock reads the local time.
func (r *rhythm) local(t time.Time) time.Time {
	l := t.In(r.location())
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// instant returns the moment whose local time is the clock of l, a time
// in UTC as local returns them.
func (r *rhythm) instant(l time.Time) time.Time {
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), r.location()).UTC()
}

// hourOf returns the local hour of t as a fraction, and whether t falls on
// a weekend.
func (r *rhythm) hourOf(t time.Time) (float64, bool) {
	l := r.local(t)
	h := float64(l.Hour()) + float64(l.Minute())/60 + float64(l.Second())/3600
	wd := l.Weekday()
	return h, wd == time.Saturday || wd == time.Sunday
}

// working reports whether t is within the identity's working hours on a
// working day.
func (r *rhythm) working(t time.Time) bool {
	h, weekend := r.hourOf(t)
	return !weekend && h >= r.start && h < r.start+r.length
}

// intensity returns the activity of the identity at t, from 0 to 1.
func (r *rhythm) intensity(t time.Time) float64 {
	h, weekend := r.hourOf(t)
	v := r.night
	end := r.start + r.length
	const ramp = 0.5 // hours to reach the peak at the start and the end
	switch {
	case h >= r.start && h < end:
		v = 1
		switch lunch := r.start + 4; {
		case h >= lunch && h < lunch+0.75:
			v = 0.45
		case h < r.start+ramp:
			v = r.night + (1-r.night)*(h-r.start)/ramp
		case h > end-ramp:
			v = r.night + (1-r.night)*(end-h)/ramp
		}
	case h >= r.start-1 && h < r.start:
		v = r.night * 3 // some start early
	case h >= end && h < end+2:
		v = r.night * 4 // and some finish late
	}
	if weekend {
		v *= r.weekend
	}
	if v < r.floor {
		v = r.floor
	}
	if v > 1 {
		v = 1
	}
	return v
}

// nextLocal returns the first time at or after t whose local hour is at
// least hour and before hour+span, on a working day when weekday is set.
func (r *rhythm) nextLocal(t time.Time, hour, span float64, weekday bool) time.Time {
	// Step through the days: at most two weeks of search.
	l := r.local(t)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
	for i := 0; i < 15; i++ {
		d := day.AddDate(0, 0, i)
		if weekday && (d.Weekday() == time.Saturday || d.Weekday() == time.Sunday) {
			continue
		}
		from := d.Add(time.Duration(hour * float64(time.Hour)))
		to := from.Add(time.Duration(span * float64(time.Hour)))
		switch {
		case !l.After(from):
			return r.instant(from)
		case l.Before(to):
			return t
		}
	}
	return t
}
