package baseline

import (
	"errors"
	"fmt"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// MaxLateness is the largest Config.Lateness: an identity keeps the current
// and the previous bucket of each horizon open, so an event may be folded
// in only while its bucket of the shortest horizon (5 minutes) is one of
// them.
const MaxLateness = 5 * time.Minute

// Config is the baseline stage's configuration, the "baseline:" section of
// the aitdr configuration file. Zero values of optional fields take the
// values of DefaultConfig.
type Config struct {
	// Lateness is how far behind the newest event of an identity an event
	// may arrive and still be folded into its baseline (event time). Later
	// events pass through with features unavailable ("late_event"). From 0
	// to MaxLateness. Default 5m.
	Lateness time.Duration `yaml:"lateness"`
	// MaxFuture is how far an event's time may be ahead of its observed
	// (ingest) time; beyond, the time is absurd and the event is not folded
	// ("absurd_time"). Default 15m.
	MaxFuture time.Duration `yaml:"max_future"`
	// Learning is the learning period of each identity.
	Learning Learning `yaml:"learning"`
	// Smoothing is the span, in completed active buckets, of the
	// exponentially weighted means and variances of each horizon.
	Smoothing Smoothing `yaml:"smoothing"`
	// AfterHoursBelow is the hour typicality under which an event is after
	// hours for its identity. From 0 to 1. Default 0.1.
	AfterHoursBelow float64 `yaml:"after_hours_below"`
	// FirstSeen bounds the first-seen sets of each identity.
	FirstSeen FirstSeenLimits `yaml:"first_seen"`
	// TimeZones places identities in their time zone for the hour-of-week
	// profile.
	TimeZones TimeZones `yaml:"time_zones"`
	// Retention drops the baseline of an identity idle for longer (event
	// time, against the newest event of its partition). 0 keeps every
	// identity. Default 2160h (90 days).
	Retention time.Duration `yaml:"retention"`
	// Snapshots are the periodic baseline snapshots to ClickHouse.
	Snapshots Snapshots `yaml:"snapshots"`

	// InputTopic is the enriched events topic. Set by the command from the
	// topic layout. Default schemas.TopicEnriched.
	InputTopic string `yaml:"-"`
	// OutputTopic receives the scored events. Default schemas.TopicScored.
	OutputTopic string `yaml:"-"`
}

// Learning is how long an identity learns before its own anomaly features
// count: until it has folded Events events and its first event is Period
// old, both. A zero field does not hold the identity back.
type Learning struct {
	// Events is the number of events to fold. Default 100.
	Events int64 `yaml:"events"`
	// Period is the event time since the identity's first event.
	// Default 168h (a week, so that the hour-of-week profile saw each day).
	Period time.Duration `yaml:"period"`
}

// Smoothing is the span N of the exponentially weighted moving average of
// each horizon, in completed active buckets; the weight of a new bucket is
// 2/(N+1), and 1/n while fewer than N/2 buckets were folded (a plain mean
// then).
type Smoothing struct {
	// M5 is the span of the 5-minute horizon. Default 288 (a day of
	// 5-minute buckets).
	M5 int `yaml:"5m"`
	// H1 is the span of the 1-hour horizon. Default 168 (a week of hours).
	H1 int `yaml:"1h"`
	// D1 is the span of the 1-day horizon. Default 30 (a month of days).
	D1 int `yaml:"1d"`
}

// FirstSeenLimits is the capacity of each first-seen set of an identity;
// past it, the value seen least recently is forgotten.
type FirstSeenLimits struct {
	// Actions bounds the actions set. Default 32.
	Actions int `yaml:"actions"`
	// Resources bounds the targets set. Default 32.
	Resources int `yaml:"resources"`
	// SourceIPs bounds the source addresses set. Default 16.
	SourceIPs int `yaml:"source_ips"`
	// ASNs bounds the networks set. Default 8.
	ASNs int `yaml:"asns"`
	// Countries bounds the countries set. Default 8.
	Countries int `yaml:"countries"`
	// UserAgents bounds the clients set. Default 8.
	UserAgents int `yaml:"user_agents"`
	// Models bounds the models set. Default 8.
	Models int `yaml:"models"`
	// AIServices bounds the AI services set. Default 8.
	AIServices int `yaml:"ai_services"`
	// Tenants bounds the tenants and accounts set. Default 8.
	Tenants int `yaml:"tenants"`
	// Environments bounds the environments set. Default 5.
	Environments int `yaml:"environments"`
}

// maxFirstSeen is the largest capacity of one first-seen set; it keeps
// lookups (a scan) cheap and the state small.
const maxFirstSeen = 256

// TimeZones chooses the time zone of each identity's hour-of-week profile:
// the identity's own, else its tenant's or account's, else Default. Values
// are IANA names such as "Europe/Paris".
type TimeZones struct {
	// Default is the zone of identities not listed. Default "UTC".
	Default string `yaml:"default"`
	// Identities maps identity ids to zones.
	Identities map[string]string `yaml:"identities"`
	// Tenants maps tenants and accounts (the event's source tenant,
	// account or org, or the identity's account) to zones.
	Tenants map[string]string `yaml:"tenants"`
}

// Snapshots configures the periodic snapshots of the baselines to the
// ClickHouse baseline_snapshots table.
type Snapshots struct {
	// Interval is how often (wall clock) the baselines that changed are
	// snapshotted. 0 disables snapshots. Default 1h.
	Interval time.Duration `yaml:"interval"`
	// BatchIdentities is how many identities one flush of the stage
	// snapshots at most, so that a snapshot round is spread over the
	// batches. Default 2000.
	BatchIdentities int `yaml:"batch_identities"`
	// Timeout bounds one snapshot insert. Default 30s.
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultConfig returns the default configuration.
func DefaultConfig() Config {
	return Config{
		Lateness:        5 * time.Minute,
		MaxFuture:       15 * time.Minute,
		Learning:        Learning{Events: 100, Period: 7 * 24 * time.Hour},
		Smoothing:       Smoothing{M5: 288, H1: 168, D1: 30},
		AfterHoursBelow: 0.1,
		FirstSeen: FirstSeenLimits{
			Actions: 32, Resources: 32, SourceIPs: 16, ASNs: 8, Countries: 8,
			UserAgents: 8, Models: 8, AIServices: 8, Tenants: 8, Environments: 5,
		},
		TimeZones:   TimeZones{Default: "UTC"},
		Retention:   90 * 24 * time.Hour,
		Snapshots:   Snapshots{Interval: time.Hour, BatchIdentities: 2000, Timeout: 30 * time.Second},
		InputTopic:  schemas.TopicEnriched,
		OutputTopic: schemas.TopicScored,
	}
}

// Validate returns every problem of c, joined, each naming its field path
// in the "baseline:" section; nil when c is usable.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.Lateness < 0 || c.Lateness > MaxLateness {
		bad("lateness", "%s must be from 0 to %s", c.Lateness, MaxLateness)
	}
	if c.MaxFuture < 0 {
		bad("max_future", "%s is negative", c.MaxFuture)
	}
	if c.Learning.Events < 0 {
		bad("learning.events", "%d is negative", c.Learning.Events)
	}
	if c.Learning.Period < 0 {
		bad("learning.period", "%s is negative", c.Learning.Period)
	}
	for _, s := range []struct {
		field string
		n     int
	}{{"smoothing.5m", c.Smoothing.M5}, {"smoothing.1h", c.Smoothing.H1}, {"smoothing.1d", c.Smoothing.D1}} {
		if s.n < 0 || s.n > 1_000_000 {
			bad(s.field, "%d must be from 1 to 1000000 buckets (0 takes the default)", s.n)
		}
	}
	if c.AfterHoursBelow < 0 || c.AfterHoursBelow > 1 {
		bad("after_hours_below", "%g must be from 0 to 1", c.AfterHoursBelow)
	}
	for i, n := range c.FirstSeen.limits() {
		if n < 0 || n > maxFirstSeen {
			bad("first_seen."+seenSetNames[i], "%d must be from 1 to %d (0 takes the default)", n, maxFirstSeen)
		}
	}
	if _, err := loadZone(c.TimeZones.Default); err != nil {
		bad("time_zones.default", "%v", err)
	}
	for id, zone := range c.TimeZones.Identities {
		if _, err := loadZone(zone); err != nil {
			bad("time_zones.identities."+id, "%v", err)
		}
	}
	for tenant, zone := range c.TimeZones.Tenants {
		if _, err := loadZone(zone); err != nil {
			bad("time_zones.tenants."+tenant, "%v", err)
		}
	}
	if c.Retention < 0 {
		bad("retention", "%s is negative", c.Retention)
	} else if c.Retention > 0 && c.Retention < 24*time.Hour {
		bad("retention", "%s must be 0 (keep every identity) or at least 24h", c.Retention)
	}
	if c.Snapshots.Interval < 0 {
		bad("snapshots.interval", "%s is negative", c.Snapshots.Interval)
	}
	if c.Snapshots.BatchIdentities < 0 {
		bad("snapshots.batch_identities", "%d is negative", c.Snapshots.BatchIdentities)
	}
	if c.Snapshots.Timeout < 0 {
		bad("snapshots.timeout", "%s is negative", c.Snapshots.Timeout)
	}
	return errors.Join(errs...)
}

// withDefaults returns c with its zero optional fields set from
// DefaultConfig. Zero durations that mean "off" (lateness, learning period,
// retention, snapshot interval) are kept: DefaultConfig sets them.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxFuture == 0 {
		c.MaxFuture = d.MaxFuture
	}
	if c.Smoothing.M5 == 0 {
		c.Smoothing.M5 = d.Smoothing.M5
	}
	if c.Smoothing.H1 == 0 {
		c.Smoothing.H1 = d.Smoothing.H1
	}
	if c.Smoothing.D1 == 0 {
		c.Smoothing.D1 = d.Smoothing.D1
	}
	limits, defaults := c.FirstSeen.limitPtrs(), d.FirstSeen.limits()
	for i, p := range limits {
		if *p == 0 {
			*p = defaults[i]
		}
	}
	if c.TimeZones.Default == "" {
		c.TimeZones.Default = d.TimeZones.Default
	}
	if c.Snapshots.BatchIdentities == 0 {
		c.Snapshots.BatchIdentities = d.Snapshots.BatchIdentities
	}
	if c.Snapshots.Timeout == 0 {
		c.Snapshots.Timeout = d.Snapshots.Timeout
	}
	if c.InputTopic == "" {
		c.InputTopic = d.InputTopic
	}
	if c.OutputTopic == "" {
		c.OutputTopic = d.OutputTopic
	}
	return c
}

// limits returns the capacities in the order of the seenSet constants.
func (l FirstSeenLimits) limits() [numSeenSets]int {
	return [numSeenSets]int{l.Actions, l.Resources, l.SourceIPs, l.ASNs, l.Countries,
		l.UserAgents, l.Models, l.AIServices, l.Tenants, l.Environments}
}

func (l *FirstSeenLimits) limitPtrs() [numSeenSets]*int {
	return [numSeenSets]*int{&l.Actions, &l.Resources, &l.SourceIPs, &l.ASNs, &l.Countries,
		&l.UserAgents, &l.Models, &l.AIServices, &l.Tenants, &l.Environments}
}

// loadZone loads an IANA time zone; "UTC" and "" are UTC.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a time zone such as UTC or Europe/Paris", name)
	}
	return loc, nil
}
