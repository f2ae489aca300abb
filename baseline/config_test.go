package baseline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/baseline"
)

// TestConfigValidate shows that Validate accepts the defaults and the zero
// config (defaults filled in), and names every problem by its field path.
func TestConfigValidate(t *testing.T) {
	if err := baseline.DefaultConfig().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	if _, err := baseline.NewPartition(baseline.Config{}, 0); err != nil {
		t.Errorf("zero config: %v", err)
	}
	bad := baseline.Config{
		Lateness:        6 * time.Minute,
		MaxFuture:       -time.Second,
		Learning:        baseline.Learning{Events: -1, Period: -time.Hour},
		Smoothing:       baseline.Smoothing{M5: -1},
		AfterHoursBelow: 1.5,
		FirstSeen:       baseline.FirstSeenLimits{Models: 1000},
		TimeZones: baseline.TimeZones{
			Default:    "Nowhere/City",
			Identities: map[string]string{"alice": "Not/AZone"},
			Tenants:    map[string]string{"acme": "Europe/Paris"},
		},
		Retention: time.Hour,
		Snapshots: baseline.Snapshots{Interval: -time.Minute, BatchIdentities: -1},
	}
	err := bad.Validate()
	if err == nil {
		t.Fatal("a bad config validated")
	}
	for _, want := range []string{
		"lateness: 6m0s must be from 0 to 5m0s",
		"max_future: -1s is negative",
		"learning.events: -1 is negative",
		"learning.period: -1h0m0s is negative",
		"smoothing.5m: -1 must be from 1 to 1000000",
		"after_hours_below: 1.5 must be from 0 to 1",
		"first_seen.models: 1000 must be from 1 to 256",
		`time_zones.default: "Nowhere/City" is not a time zone`,
		`time_zones.identities.alice: "Not/AZone" is not a time zone`,
		"retention: 1h0m0s must be 0 (keep every identity) or at least 24h",
		"snapshots.interval: -1m0s is negative",
		"snapshots.batch_identities: -1 is negative",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "acme") {
		t.Errorf("a valid tenant zone reported: %v", err)
	}
	if _, err := baseline.New(bad); err == nil || !strings.Contains(err.Error(), "baseline: invalid config") {
		t.Errorf("New with a bad config: %v", err)
	}
}
