package baseline

import (
	"time"
	_ "time/tzdata" // time zones resolve in containers without a zoneinfo database
)

const (
	hoursPerWeek = 168
	// profileUnit is one event in the hour-of-week profile: bins count
	// sixteenths of an event, so that the weekly decay does not round a
	// few events away at once.
	profileUnit = 16
	// profileDecayNum/profileDecayDen is the weekly decay of the profile:
	// 7/8 a week, a half-life of about five weeks, so a changed schedule
	// becomes the identity's normal within a month or two.
	profileDecayNum, profileDecayDen = 7, 8
	// profileDecayWeeks is the number of weekly decays after which every
	// bin is 0.
	profileDecayWeeks = 84
	weekMillis        = 7 * 86_400_000
	// mondayOffsetMillis moves the Unix epoch (a Thursday) to the Monday
	// 00:00 before it, so week indexes start on Mondays.
	mondayOffsetMillis = 3 * 86_400_000
)

// profile is an identity's activity by hour of the week, in its time zone.
type profile struct {
	bins [hoursPerWeek]uint16
	week int32  // the week (UTC, from Monday) of the last decay
	max  uint16 // the largest bin; derived, not encoded
}

// weekOf returns the Monday-based UTC week index of t (Unix ms).
func weekOf(t int64) int32 { return int32(floorDiv(t+mondayOffsetMillis, weekMillis)) }

// hourOfWeek returns the hour of the week of t (Unix ms) in loc, Monday
// 00:00 to 00:59 being 0.
func hourOfWeek(t int64, loc *time.Location) int {
	sec := floorDiv(t, 1000)
	if loc != time.UTC {
		_, offset := time.Unix(sec, 0).In(loc).Zone()
		sec += int64(offset)
	}
	days := floorDiv(sec, 86_400)
	weekday := (days + 3) % 7 // 1970-01-01 was a Thursday, weekday 3 from Monday
	if weekday < 0 {
		weekday += 7
	}
	hour := (sec - days*86_400) / 3600
	return int(weekday*24 + hour)
}

// decayTo applies the weekly decay for every week from p.week to week.
func (p *profile) decayTo(week int32) {
	if week <= p.week {
		return
	}
	k := week - p.week
	p.week = week
	if k >= profileDecayWeeks {
		p.bins = [hoursPerWeek]uint16{}
		p.max = 0
		return
	}
	for range k {
		for i, b := range p.bins {
			p.bins[i] = uint16(uint32(b) * profileDecayNum / profileDecayDen)
		}
	}
	p.recomputeMax()
}

func (p *profile) recomputeMax() {
	p.max = 0
	for _, b := range p.bins {
		p.max = max(p.max, b)
	}
}

// add counts one event in hour h; a full bin halves every bin first, which
// keeps the shares.
func (p *profile) add(h int) {
	if p.bins[h] > 0xffff-profileUnit {
		for i := range p.bins {
			p.bins[i] /= 2
		}
		p.recomputeMax()
	}
	p.bins[h] += profileUnit
	p.max = max(p.max, p.bins[h])
}

// typicality returns the activity of hour h, or the mean of its two
// neighbours when larger (an event just past the usual end of the day is
// not unusual), against the busiest hour: 0 to 1, and 0 on an empty
// profile.
func (p *profile) typicality(h int) float64 {
	if p.max == 0 {
		return 0
	}
	before, after := p.bins[(h+hoursPerWeek-1)%hoursPerWeek], p.bins[(h+1)%hoursPerWeek]
	v := max(float64(p.bins[h]), (float64(before)+float64(after))/2)
	return v / float64(p.max)
}

// shares returns the profile as shares of the busiest hour, rotated so that
// index 0 is Monday 00:00 UTC for a profile kept in a zone offset seconds
// east of UTC (the snapshot table's convention); nil when empty.
func (p *profile) shares(offset int) []float32 {
	if p.max == 0 {
		return nil
	}
	shift := floorDiv(int64(offset), 3600)
	out := make([]float32, hoursPerWeek)
	for local, b := range p.bins {
		utc := (int64(local) - shift) % hoursPerWeek
		if utc < 0 {
			utc += hoursPerWeek
		}
		out[utc] = float32(b) / float32(p.max)
	}
	return out
}
