// Package workhours is a person's working week (the days and the hours of
// the day they work, in their time zone) and tells whether an event time
// falls outside it. The enrich stage takes people's time zones and working
// hours from the directory (Microsoft Graph mailbox settings, the Okta and
// SCIM timezone attributes, or the columns of a flat export) and falls back
// on the deployment's default working day (enrich.working_hours), so that
// hours are judged for the person, whichever of their identities acts and
// however young that identity's own baseline is.
package workhours

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones resolve in containers without a zoneinfo database
)

// minutesPerDay is the length of a day in minutes, the largest clock value
// (24:00, the end of a day).
const minutesPerDay = 24 * 60

// Hours are the working days and the working span of each of them. The
// zero Hours names no working time.
type Hours struct {
	// Days are the working days, indexed by time.Weekday.
	Days [7]bool
	// Start and End are the minutes after local midnight the working day
	// starts and ends. An End at or before Start is a day that ends after
	// midnight, on the next day (a night shift).
	Start, End int
}

// IsZero reports whether h names no working day.
func (h Hours) IsZero() bool { return h.Days == [7]bool{} }

// String is "Mon-Fri 09:00-17:30" or "Mon,Wed 22:00-06:00".
func (h Hours) String() string {
	if h.IsZero() {
		return ""
	}
	return FormatDays(h.Days) + " " + FormatClock(h.Start) + "-" + FormatClock(h.End)
}

// Week is working hours in a time zone. It is a value, safe for
// concurrent use.
type Week struct {
	Hours
	// Location is the time zone of the hours; nil when unknown.
	Location *time.Location
}

// Known reports whether w can judge a time: it has a time zone and
// working days.
func (w Week) Known() bool { return w.Location != nil && !w.IsZero() }

// Off reports whether t falls outside the working week: on a day that is
// not a working day, or outside the hours of a working day (a night
// shift's early hours belong to the day it started). A week that is not
// Known judges nothing and reports false.
func (w Week) Off(t time.Time) bool {
	if !w.Known() {
		return false
	}
	local := t.In(w.Location)
	day := local.Weekday()
	m := local.Hour()*60 + local.Minute()
	if w.End > w.Start {
		return !(w.Days[day] && m >= w.Start && m < w.End)
	}
	// The working day ends after midnight.
	if w.Days[day] && m >= w.Start {
		return false
	}
	prev := (day + 6) % 7
	return !(w.Days[prev] && m < w.End)
}

// WeekDays are Monday to Friday.
var WeekDays = [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}

// dayNames are the names ParseDays knows, by the day they name: English
// names and their usual abbreviations, lower case.
var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday, "su": time.Sunday,
	"mon": time.Monday, "monday": time.Monday, "mo": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday, "tu": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday, "we": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday, "th": time.Thursday,
	"fri": time.Friday, "friday": time.Friday, "fr": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday, "sa": time.Saturday,
}

// ParseDays reads a list of working days: day names or abbreviations
// ("monday", "Mon", "mo"), ranges of them ("Mon-Fri", wrapping past
// Sunday: "Sun-Thu"), "weekdays" (Monday to Friday) or "daily", separated
// by commas, semicolons, spaces or bars, in any case. Microsoft Graph's
// daysOfWeek list, joined, reads as is.
func ParseDays(s string) ([7]bool, error) {
	var days [7]bool
	items := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ',' || r == ';' || r == '|' || r == ' ' || r == '\t'
	})
	if len(items) == 0 {
		return days, errors.New("no working day")
	}
	for _, it := range items {
		switch it {
		case "weekdays", "workdays":
			for d, on := range WeekDays {
				days[d] = days[d] || on
			}
			continue
		case "daily", "everyday", "all":
			days = [7]bool{true, true, true, true, true, true, true}
			continue
		}
		from, to, isRange := strings.Cut(it, "-")
		first, ok := dayNames[from]
		if !ok {
			return [7]bool{}, fmt.Errorf("%q is not a day of the week (want Mon, Tuesday, Mon-Fri, weekdays)", from)
		}
		last := first
		if isRange {
			if last, ok = dayNames[to]; !ok {
				return [7]bool{}, fmt.Errorf("%q is not a day of the week (want Mon, Tuesday, Mon-Fri, weekdays)", to)
			}
		}
		for d := first; ; d = (d + 1) % 7 {
			days[d] = true
			if d == last {
				break
			}
		}
	}
	return days, nil
}

// shortDays are the names FormatDays writes.
var shortDays = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// FormatDays writes days as ParseDays reads them: runs of three or more
// days as a range ("Mon-Fri"), others by name ("Mon,Wed").
func FormatDays(days [7]bool) string {
	var parts []string
	// Start at Monday so that a working week reads Mon-Fri, and a run
	// through the weekend Sat-Sun.
	order := [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	for i := 0; i < 7; {
		if !days[order[i]] {
			i++
			continue
		}
		j := i
		for j+1 < 7 && days[order[j+1]] {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, shortDays[order[i]]+"-"+shortDays[order[j]])
		default:
			for k := i; k <= j; k++ {
				parts = append(parts, shortDays[order[k]])
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// ParseClock reads a time of day as minutes after midnight: "9", "09:00",
// "9:30", "17:30:00", or Microsoft Graph's "08:00:00.0000000"; "24:00" is
// the end of the day. Seconds are dropped.
func ParseClock(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty time of day")
	}
	hh, rest, _ := strings.Cut(s, ":")
	mm, sec, _ := strings.Cut(rest, ":")
	h, err := strconv.Atoi(hh)
	if err != nil || len(hh) > 2 || h < 0 || h > 24 {
		return 0, fmt.Errorf("%q is not a time of day such as 09:00 or 17:30", s)
	}
	m := 0
	if rest != "" {
		if m, err = strconv.Atoi(mm); err != nil || len(mm) != 2 || m < 0 || m > 59 {
			return 0, fmt.Errorf("%q is not a time of day such as 09:00 or 17:30", s)
		}
	}
	if sec != "" {
		whole, frac, _ := strings.Cut(sec, ".")
		if n, err := strconv.Atoi(whole); err != nil || len(whole) != 2 || n < 0 || n > 59 || strings.Trim(frac, "0123456789") != "" {
			return 0, fmt.Errorf("%q is not a time of day such as 09:00 or 17:30", s)
		}
	}
	if v := h*60 + m; v <= minutesPerDay {
		return v, nil
	}
	return 0, fmt.Errorf("%q is past the end of the day", s)
}

// FormatClock writes minutes after midnight as "HH:MM".
func FormatClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// Parse reads working hours from their parts as directories and the
// configuration give them: days (ParseDays; Monday to Friday when empty),
// start and end (ParseClock). Start and end equal is no working time and
// is refused.
func Parse(days, start, end string) (Hours, error) {
	var h Hours
	var err error
	if strings.TrimSpace(days) == "" {
		h.Days = WeekDays
	} else if h.Days, err = ParseDays(days); err != nil {
		return Hours{}, fmt.Errorf("working days: %w", err)
	}
	if h.Start, err = ParseClock(start); err != nil {
		return Hours{}, fmt.Errorf("working hours start: %w", err)
	}
	if h.End, err = ParseClock(end); err != nil {
		return Hours{}, fmt.Errorf("working hours end: %w", err)
	}
	if h.Start%minutesPerDay == h.End%minutesPerDay {
		return Hours{}, fmt.Errorf("working hours %s-%s: start and end are the same time", FormatClock(h.Start), FormatClock(h.End))
	}
	if h.Start == minutesPerDay {
		h.Start = 0
	}
	return h, nil
}

// LoadZone returns the time zone name names: an IANA name
// ("Europe/Berlin", "America/New_York"), "UTC", or a fixed offset from UTC
// ("UTC+05:30", "UTC-8", "+01:00"). Names with spaces (Windows time zone
// names such as "Pacific Standard Time") are refused with a hint, as is
// "Local", which would depend on the host.
func LoadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, errors.New("empty time zone")
	case strings.EqualFold(name, "utc"), strings.EqualFold(name, "gmt"), name == "Z":
		return time.UTC, nil
	case strings.EqualFold(name, "local"):
		return nil, errors.New(`time zone "Local" depends on the host: name the zone, such as Europe/Berlin`)
	case strings.ContainsAny(name, " \t"):
		return nil, fmt.Errorf("%q is not an IANA time zone such as America/Los_Angeles (Windows time zone names are not read)", name)
	}
	if off, ok, err := fixedOffset(name); ok {
		if err != nil {
			return nil, err
		}
		return time.FixedZone(name, off), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not an IANA time zone such as Europe/Berlin or a UTC offset such as UTC+05:30", name)
	}
	return loc, nil
}

// fixedOffset reads "UTC+05:30", "GMT-8", "+01:00" as seconds east of
// UTC; ok is false when name is not of that form.
func fixedOffset(name string) (secs int, ok bool, err error) {
	rest := name
	for _, p := range []string{"UTC", "utc", "GMT", "gmt"} {
		if r, found := strings.CutPrefix(name, p); found {
			rest = r
			break
		}
	}
	if rest == "" || (rest[0] != '+' && rest[0] != '-') {
		return 0, false, nil
	}
	sign := 1
	if rest[0] == '-' {
		sign = -1
	}
	hh, mm, hasMin := strings.Cut(rest[1:], ":")
	if !hasMin && len(hh) == 4 {
		hh, mm = hh[:2], hh[2:]
	}
	h, err := strconv.Atoi(hh)
	if err != nil || len(hh) == 0 || len(hh) > 2 || h > 14 {
		return 0, true, fmt.Errorf("%q is not a UTC offset such as UTC+05:30", name)
	}
	m := 0
	if mm != "" {
		if m, err = strconv.Atoi(mm); err != nil || len(mm) != 2 || m > 59 {
			return 0, true, fmt.Errorf("%q is not a UTC offset such as UTC+05:30", name)
		}
	}
	return sign * (h*3600 + m*60), true, nil
}
