package baseline_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/schemas"
)

const (
	bucket5m = 5 * time.Minute
	// steadyDays of steady history: 10 events of 1,000 bytes every 5
	// minutes, at 0:00, 0:30, ... 4:30 of each bucket, from day0.
	steadyDays    = 10
	steadyPer5m   = 10
	steadyBytes   = 1000
	bucketsPerDay = 288
)

// steady folds the steady history of identity id and returns the start of
// the bucket after it.
func steady(t *testing.T, f *feeder, id string, opts ...func(*schemas.Event)) time.Time {
	t.Helper()
	for b := range bucketsPerDay * steadyDays {
		for j := range steadyPer5m {
			at := day0.Add(time.Duration(b)*bucket5m + time.Duration(j)*30*time.Second)
			f.fold(event(id, at, append([]func(*schemas.Event){withBytes(steadyBytes)}, opts...)...))
		}
	}
	return day0.Add(bucketsPerDay * steadyDays * bucket5m)
}

func near(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.12g, want %.12g", name, got, want)
	}
}

// TestSteady shows the features of an identity doing what it always does:
// every baseline is the constant per-bucket sum (10 events and 10,000
// bytes per 5 minutes, 120 and 1,440 per hour and day... per bucket), the
// variance is 0, and the observed windows differ from it only by the
// sliding window's share of the previous bucket.
func TestSteady(t *testing.T) {
	f := newFeeder(t, baseline.DefaultConfig())
	next := steady(t, f, "agent")
	var got schemas.Features
	for j := range steadyPer5m { // the next bucket, the same way
		got = f.fold(event("agent", next.Add(time.Duration(j)*30*time.Second), withBytes(steadyBytes)))
	}
	// The last event is at 4:30 into its 5-minute bucket, its hour and its
	// day: the window is the current bucket (10 events) plus the part of
	// the previous bucket the horizon still covers.
	elapsed := 270.0 // seconds into the current bucket
	horizons := []struct {
		name    string
		seconds float64
		perBkt  float64
	}{
		{"5m", 300, 10}, {"1h", 3600, 120}, {"1d", 86400, 2880},
	}
	for _, h := range horizons {
		obs := 10 + h.perBkt*(1-elapsed/h.seconds)
		rate := map[string]float64{"5m": got.RateRatio.M5, "1h": got.RateRatio.H1, "1d": got.RateRatio.D1}[h.name]
		rateZ := map[string]float64{"5m": got.RateZ.M5, "1h": got.RateZ.H1, "1d": got.RateZ.D1}[h.name]
		window := map[string]float64{"5m": got.WindowEvents.M5, "1h": got.WindowEvents.H1, "1d": got.WindowEvents.D1}[h.name]
		bytes := map[string]float64{"5m": got.BytesRatio.M5, "1h": got.BytesRatio.H1, "1d": got.BytesRatio.D1}[h.name]
		bytesZ := map[string]float64{"5m": got.BytesZ.M5, "1h": got.BytesZ.H1, "1d": got.BytesZ.D1}[h.name]
		near(t, "window_events."+h.name, window, obs)
		near(t, "rate_ratio."+h.name, rate, obs/h.perBkt)
		// Variance 0: the deviation is 10% of the mean, at least 1 event.
		near(t, "rate_z."+h.name, rateZ, (obs-h.perBkt)/math.Max(0.1*h.perBkt, 1))
		near(t, "bytes_ratio."+h.name, bytes, obs/h.perBkt)
		// ... and at least 1 KiB for bytes.
		near(t, "bytes_z."+h.name, bytesZ, (obs-h.perBkt)*steadyBytes/math.Max(0.1*h.perBkt*steadyBytes, 1024))
	}
	near(t, "category_rate_ratio.5m", got.CategoryRateRatio.M5, 1.1)
	near(t, "category_bytes_ratio.1h", got.CategoryBytesRatio.H1, (10+120*(1-elapsed/3600))/120)
	if got.RecordsRatio.M5 != 0 || got.TokensRatio.M5 != 0 {
		t.Errorf("records_ratio.5m = %g, tokens_ratio.5m = %g: nothing observed, want 0", got.RecordsRatio.M5, got.TokensRatio.M5)
	}
	// Every event weighs 1,000 bytes: each is in the middle of its own
	// distribution.
	near(t, "volume_percentile", got.VolumePercentile, 50)
	if got.Learning || !got.Available || got.BaselineEvents != bucketsPerDay*steadyDays*steadyPer5m+9 {
		t.Errorf("learning %v, available %v, baseline_events %d", got.Learning, got.Available, got.BaselineEvents)
	}
	near(t, "idle_days", got.IdleDays, 30.0/86400)
	near(t, "days_since_first_seen.action", got.DaysSinceFirstSeen.Action, float64(steadyDays)+4.0/1440)
	if got.IsNewAction || got.IsNewSourceIP || got.IsNewCountry || got.IsNewASN || got.IsNewUserAgent {
		t.Errorf("a known action, address, country, network or client reported new: %+v", got)
	}
}

// TestSpike shows a burst against the steady baseline: 100 extra events of
// 1 MB in the last seconds of a 5-minute bucket make the 5-minute rate 11
// times normal, its z-score 100, and the bytes ten thousand times normal.
func TestSpike(t *testing.T) {
	f := newFeeder(t, baseline.DefaultConfig())
	next := steady(t, f, "agent")
	for j := range steadyPer5m {
		f.fold(event("agent", next.Add(time.Duration(j)*30*time.Second), withBytes(steadyBytes)))
	}
	burstAt := next.Add(290 * time.Second)
	var first, got schemas.Features
	for i := range 100 {
		got = f.fold(event("agent", burstAt, withBytes(1_000_000), withID(fmt.Sprintf("burst-%d", i))))
		if i == 0 {
			first = got
		}
	}
	// 110 events in the bucket, plus 10/300 of the previous bucket's 10.
	obs := 110 + 10*(10.0/300)
	near(t, "window_events.5m", got.WindowEvents.M5, obs)
	near(t, "rate_ratio.5m", got.RateRatio.M5, obs/10)
	near(t, "rate_z.5m", got.RateZ.M5, (obs-10)/1)
	obsBytes := 10*1000 + 100*1e6 + 10_000*(10.0/300)
	near(t, "bytes_ratio.5m", got.BytesRatio.M5, obsBytes/10_000)
	near(t, "bytes_z.5m", got.BytesZ.M5, (obsBytes-10_000)/1024)
	obs1h := 110 + 120*(1-290.0/3600)
	near(t, "rate_ratio.1h", got.RateRatio.H1, obs1h/120)
	// The first 1 MB event is larger than every event before it.
	near(t, "volume_percentile of the first burst event", first.VolumePercentile, 100)
	if got.RateRatio.M5 < 10 || got.BytesRatio.H1 < 10 {
		t.Errorf("rate_ratio.5m %g, bytes_ratio.1h %g: a rule asking for ten times normal would not fire", got.RateRatio.M5, got.BytesRatio.H1)
	}
}

// TestDrift shows that the baseline follows a slow drift: each 5-minute
// bucket moves 100 bytes more than the one before. At that steady climb
// the exponentially weighted mean lags the newest completed bucket by
// slope*(1-a)/a = 100*143.5 bytes (a = 2/289), so the ratio stays near 1
// where a fixed baseline would report several times normal.
func TestDrift(t *testing.T) {
	f := newFeeder(t, baseline.DefaultConfig())
	const buckets = bucketsPerDay * 10
	bucketBytes := func(b int) int64 { return 10_000 + 100*int64(b) }
	var got schemas.Features
	for b := range buckets + 2 {
		for j := range steadyPer5m {
			at := day0.Add(time.Duration(b)*bucket5m + time.Duration(j)*30*time.Second)
			got = f.fold(event("agent", at, withBytes(bucketBytes(b)/10)))
		}
	}
	// The last event is at 4:30 into bucket buckets+1; bucket buckets is
	// the previous, still open; the mean has folded up to buckets-1.
	last, prev := float64(bucketBytes(buckets+1)), float64(bucketBytes(buckets))
	obs := last + prev*(30.0/300)
	mean := float64(bucketBytes(buckets-1)) - 100*143.5
	ratio := obs / mean
	if math.Abs(got.BytesRatio.M5-ratio) > 1e-4*ratio {
		t.Errorf("bytes_ratio.5m = %.6f, want %.6f (mean lagging by 14,350 bytes)", got.BytesRatio.M5, ratio)
	}
	if got.BytesRatio.M5 > 1.6 {
		t.Errorf("bytes_ratio.5m = %g: the baseline did not follow the drift", got.BytesRatio.M5)
	}
	fixed := obs / (10_000 + 100*float64(buckets)/2) // the mean of all history
	if fixed < 1.9 {
		t.Fatalf("test premise: a fixed baseline gives %g", fixed)
	}
}

// TestSeasonalityByHour shows the hour-of-week profile in the identity's
// time zone: a person working Monday to Friday, 09:00 to 17:00 New York
// time (across the change to daylight saving time on 9 March 2025), is
// typical at 10:05 on a Tuesday, after hours at 03:00 on a Saturday, and
// half-typical just outside the working day, since a neighbouring hour is
// full.
func TestSeasonalityByHour(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	cfg := baseline.DefaultConfig()
	cfg.TimeZones.Identities = map[string]string{"alice": "America/New_York"}
	cfg.TimeZones.Tenants = map[string]string{"acme-ny": "America/New_York"}
	f := newFeeder(t, cfg)
	people := []struct {
		id  string
		loc *time.Location
		opt func(*schemas.Event)
	}{
		{"alice", ny, nil}, // zone by identity
		{"carol", ny, func(ev *schemas.Event) { ev.Source.Account = "acme-ny" }}, // by account
		{"dave", time.UTC, nil}, // the default zone
	}
	at := func(loc *time.Location, day, hour, minute int) time.Time {
		return time.Date(2025, 3, 3+day, hour, minute, 0, 0, loc) // day 0 is a Monday
	}
	for _, p := range people {
		var opts []func(*schemas.Event)
		if p.opt != nil {
			opts = append(opts, p.opt)
		}
		for week := range 3 {
			for weekday := range 5 {
				for hour := 9; hour < 17; hour++ {
					for m := 0; m < 60; m += 10 {
						f.fold(event(p.id, at(p.loc, week*7+weekday, hour, m), opts...))
					}
				}
			}
		}
		probes := []struct {
			name           string
			day, hour, min int
			typicality     float64
			afterHours     bool
		}{
			{"monday 08:10", 21, 8, 10, 0.5, false},
			{"monday 17:30", 21, 17, 30, 0.5, false},
			{"tuesday 10:05", 22, 10, 5, 1, false},
			{"saturday 03:00", 26, 3, 0, 0, true},
			{"sunday 13:00", 27, 13, 0, 0, true},
		}
		for _, pr := range probes {
			got := f.fold(event(p.id, at(p.loc, pr.day, pr.hour, pr.min), opts...))
			near(t, p.id+" "+pr.name+" hour_typicality", got.HourTypicality, pr.typicality)
			if got.AfterHours != pr.afterHours || got.Learning {
				t.Errorf("%s %s: after_hours %v, learning %v; want %v, false", p.id, pr.name, got.AfterHours, got.Learning, pr.afterHours)
			}
		}
	}
}

// TestLearning shows the learning period: an identity learns until it has
// folded 100 events and its first event is a week old, both.
func TestLearning(t *testing.T) {
	f := newFeeder(t, baseline.DefaultConfig())
	for i := range 200 {
		got := f.fold(event("new", day0.Add(time.Duration(i)*time.Minute)))
		if !got.Learning {
			t.Fatalf("event %d within the first week: not learning", i)
		}
	}
	got := f.fold(event("new", day0.Add(7*24*time.Hour)))
	if got.Learning {
		t.Errorf("a week after the first event, with 200 events: still learning")
	}

	cfg := baseline.DefaultConfig()
	cfg.Learning = baseline.Learning{Events: 10}
	f = newFeeder(t, cfg)
	for i := range 11 {
		got := f.fold(event("fast", day0.Add(time.Duration(i)*time.Second)))
		if got.Learning != (i < 10) {
			t.Errorf("event %d (%d folded before): learning %v", i, got.BaselineEvents, got.Learning)
		}
	}
}

// TestFirstSeen shows the first-seen sets: a value is new the first time,
// then known with the days since it was first seen; a full set forgets the
// value seen least recently, which is new again when it returns.
func TestFirstSeen(t *testing.T) {
	cfg := baseline.DefaultConfig()
	cfg.FirstSeen.Actions = 2
	f := newFeeder(t, cfg)
	action := func(name string) func(*schemas.Event) {
		return func(ev *schemas.Event) { ev.Action.Name = name }
	}
	steps := []struct {
		after  time.Duration
		action string
		isNew  bool
		days   float64
	}{
		{0, "A", true, 0},
		{time.Hour, "B", true, 0},
		{36 * time.Hour, "A", false, 1.5},
		{48 * time.Hour, "C", true, 0}, // the set is full: B, seen least recently, is forgotten
		{72 * time.Hour, "A", false, 3},
		{96 * time.Hour, "B", true, 0}, // forgotten, so new again; C is forgotten now
		{120 * time.Hour, "A", false, 5},
	}
	for _, s := range steps {
		got := f.fold(event("id", day0.Add(s.after), action(s.action)))
		if got.IsNewAction != s.isNew {
			t.Errorf("%s at +%s: is_new_action %v, want %v", s.action, s.after, got.IsNewAction, s.isNew)
		}
		near(t, "days_since_first_seen.action of "+s.action, got.DaysSinceFirstSeen.Action, s.days)
	}

	// Every set: a new value of each is reported new, once.
	change := func(ev *schemas.Event) {
		ev.Action.Name = "GetSecretValue"
		ev.Target = schemas.Target{ID: "arn:secret", Environment: schemas.EnvProduction, Tenant: "999"}
		ev.Network = schemas.Network{SourceIP: "203.0.113.9", UserAgent: "curl/8", Country: "KP", ASN: 4134}
		ev.AI = schemas.AIContext{Model: "claude", Service: "bedrock"}
	}
	first := f.fold(event("id", day0.Add(200*time.Hour), change))
	second := f.fold(event("id", day0.Add(201*time.Hour), change))
	news := func(ft schemas.Features) []bool {
		return []bool{ft.IsNewAction, ft.IsNewResource, ft.IsNewSourceIP, ft.IsNewASN, ft.IsNewCountry,
			ft.IsNewUserAgent, ft.IsNewModel, ft.IsNewAIService, ft.IsNewTenant, ft.IsNewEnvironment}
	}
	for i, isNew := range news(first) {
		if !isNew {
			t.Errorf("first-seen set %d: a new value not reported new", i)
		}
	}
	for i, isNew := range news(second) {
		if isNew {
			t.Errorf("first-seen set %d: a value seen an hour ago reported new", i)
		}
	}
	near(t, "days_since_first_seen.model", second.DaysSinceFirstSeen.Model, 1.0/24)
}

// TestPeers shows a new identity compared with its peer group while it
// learns: its peer "ai_agent/support" runs 120 events and 120 KB an hour;
// the newcomer's 240 events of 5 KB in its first hour are twice the
// group's rate and ten times its volume.
func TestPeers(t *testing.T) {
	f := newFeeder(t, baseline.DefaultConfig())
	group := withPeer("ai_agent/support")
	steady(t, f, "veteran", group)
	start := day0.Add(steadyDays * 24 * time.Hour)
	var got schemas.Features
	for i := range 240 {
		got = f.fold(event("newcomer", start.Add(time.Duration(i)*15*time.Second), group, withBytes(5000)))
	}
	if !got.Learning {
		t.Errorf("the newcomer is not learning")
	}
	near(t, "peer_rate_ratio", got.PeerRateRatio, 240.0/120)
	near(t, "peer_volume_ratio", got.PeerVolumeRatio, 240*5000.0/(120*1000))

	// The default group is <class>/<team>.
	classTeam := func(ev *schemas.Event) {
		ev.Enrichment.Class = schemas.IdentityClass("ai_agent")
		ev.Enrichment.Team = "support"
	}
	got = f.fold(event("sibling", start.Add(time.Hour), classTeam))
	near(t, "peer_rate_ratio by class and team", got.PeerRateRatio, 1.0/120)
	got = f.fold(event("loner", start.Add(time.Hour)))
	if got.PeerRateRatio != 0 || got.PeerVolumeRatio != 0 {
		t.Errorf("an identity with no peer group: peer ratios %g, %g", got.PeerRateRatio, got.PeerVolumeRatio)
	}
}
