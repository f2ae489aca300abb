package workhours_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/enrich/workhours"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := workhours.LoadZone(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustParse(t *testing.T, days, start, end string) workhours.Hours {
	t.Helper()
	h, err := workhours.Parse(days, start, end)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestWeekOff shows which times fall outside a working week, judged in
// the person's own time zone: a 02:00 change in Kolkata is 20:30 UTC the
// day before, and a night shift's early hours belong to the day it began.
func TestWeekOff(t *testing.T) {
	kolkata := workhours.Week{Hours: mustParse(t, "Mon-Fri", "09:00", "17:30"), Location: mustZone(t, "Asia/Kolkata")}
	newYork := workhours.Week{Hours: mustParse(t, "", "07:00", "20:00"), Location: mustZone(t, "America/New_York")}
	night := workhours.Week{Hours: mustParse(t, "Mon-Fri", "22:00", "06:00"), Location: time.UTC}
	// 2026-03-02 is a Monday.
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	for _, c := range []struct {
		name string
		week workhours.Week
		at   string
		off  bool
	}{
		{"Kolkata 10:00 on a Monday", kolkata, "2026-03-02T04:30:00Z", false},
		{"Kolkata 02:02 on a Thursday (20:32 UTC on Wednesday)", kolkata, "2026-03-04T20:32:00Z", true},
		{"Kolkata 17:29", kolkata, "2026-03-02T11:59:00Z", false},
		{"Kolkata 17:30, the end of the day", kolkata, "2026-03-02T12:00:00Z", true},
		{"Kolkata on a Saturday at noon", kolkata, "2026-03-07T06:30:00Z", true},
		{"New York 19:30 on a Friday in winter", newYork, "2026-03-06T00:30:00Z", false},
		{"New York 01:47 on a Friday", newYork, "2026-03-06T06:47:00Z", true},
		{"New York 07:30 after the switch to summer time", newYork, "2026-03-09T11:30:00Z", false},
		{"night shift Monday 23:00", night, "2026-03-02T23:00:00Z", false},
		{"night shift Tuesday 05:00, Monday's shift", night, "2026-03-03T05:00:00Z", false},
		{"night shift Monday 05:00, Sunday has no shift", night, "2026-03-02T05:00:00Z", true},
		{"night shift Saturday 03:00, Friday's shift", night, "2026-03-07T03:00:00Z", false},
		{"night shift Tuesday noon", night, "2026-03-03T12:00:00Z", true},
		{"no time zone judges nothing", workhours.Week{Hours: mustParse(t, "", "09:00", "17:00")}, "2026-03-07T03:00:00Z", false},
		{"no hours judge nothing", workhours.Week{Location: time.UTC}, "2026-03-07T03:00:00Z", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.week.Off(at(c.at)); got != c.off {
				t.Errorf("Off(%s) in %s %s = %v, want %v", c.at, c.week.Location, c.week.Hours, got, c.off)
			}
		})
	}
}

// TestParse shows the forms directories and configurations give working
// hours in, and what is refused.
func TestParse(t *testing.T) {
	for _, c := range []struct {
		days, start, end string
		want             string // Hours.String, or the error's text
	}{
		{"", "09:00", "17:30", "Mon-Fri 09:00-17:30"},
		{"monday;tuesday;wednesday;thursday;friday", "08:00:00.0000000", "17:00:00.0000000", "Mon-Fri 08:00-17:00"},
		{"Sun-Thu", "7", "15:45", "Mon-Thu,Sun 07:00-15:45"},
		{"weekdays", "9:30", "24:00", "Mon-Fri 09:30-24:00"},
		{"Mon, Wed", "22:00", "06:00", "Mon,Wed 22:00-06:00"},
		{"daily", "00:00", "12:00", "Mon-Sun 00:00-12:00"},
		{"Sat-Sun", "10:00", "14:00", "Sat,Sun 10:00-14:00"},
		{"Mon-Fry", "09:00", "17:00", `working days: "fry" is not a day of the week`},
		{"", "9am", "17:00", `working hours start: "9am" is not a time of day`},
		{"", "09:00", "25:00", `working hours end: "25:00" is not a time of day`},
		{"", "09:00", "24:30", `working hours end: "24:30" is past the end of the day`},
		{"", "09:00", "", "working hours end: empty time of day"},
		{"", "09:00", "09:00", "working hours 09:00-09:00: start and end are the same time"},
		{" , ", "09:00", "17:00", "working days: no working day"},
	} {
		h, err := workhours.Parse(c.days, c.start, c.end)
		got := h.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("Parse(%q, %q, %q) = %q, want %q", c.days, c.start, c.end, got, c.want)
		}
	}
}

// TestLoadZone shows the time zone names read, and those refused with a
// reason.
func TestLoadZone(t *testing.T) {
	noon := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		hour int    // the local hour at noon UTC in January
		err  string // the error's start, when refused
	}{
		{name: "Europe/Berlin", hour: 13},
		{name: "America/Los_Angeles", hour: 4},
		{name: "Asia/Kolkata", hour: 17},
		{name: "UTC", hour: 12},
		{name: "UTC+05:30", hour: 17},
		{name: "GMT-8", hour: 4},
		{name: "+0100", hour: 13},
		{name: "Pacific Standard Time", err: `"Pacific Standard Time" is not an IANA time zone`},
		{name: "Mars/Olympus_Mons", err: `"Mars/Olympus_Mons" is not an IANA time zone`},
		{name: "UTC+15", err: `"UTC+15" is not a UTC offset`},
		{name: "Local", err: `time zone "Local" depends on the host`},
		{name: "", err: "empty time zone"},
	} {
		loc, err := workhours.LoadZone(c.name)
		switch {
		case c.err != "":
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("LoadZone(%q) = %v, %v; want error %q", c.name, loc, err, c.err)
			}
		case err != nil:
			t.Errorf("LoadZone(%q): %v", c.name, err)
		case noon.In(loc).Hour() != c.hour:
			t.Errorf("LoadZone(%q): noon UTC is %d:00 there, want %d:00", c.name, noon.In(loc).Hour(), c.hour)
		}
	}
}

// FuzzParse shows that no input makes the parsers panic and that what
// they accept formats back to the same hours.
func FuzzParse(f *testing.F) {
	for _, s := range [][4]string{
		{"Mon-Fri", "09:00", "17:30", "Europe/Berlin"},
		{"monday;friday", "08:00:00.0000000", "17:00:00.0000000", "UTC+05:30"},
		{"Sun-Thu", "22", "6", "GMT-8"},
		{"", "24:00", "1", "Pacific Standard Time"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, days, start, end, zone string) {
		h, err := workhours.Parse(days, start, end)
		if err == nil {
			again, err := workhours.Parse(workhours.FormatDays(h.Days), workhours.FormatClock(h.Start), workhours.FormatClock(h.End))
			if err != nil || again != h {
				t.Fatalf("%v formats as %q, which reads back as %v, %v", h, h.String(), again, err)
			}
		}
		if loc, err := workhours.LoadZone(zone); err == nil {
			_ = workhours.Week{Hours: h, Location: loc}.Off(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
		}
	})
}
