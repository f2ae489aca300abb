package rightsize_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/enrich/rightsize"
)

// TestTrust shows the trust thresholds at their boundaries: observed days
// from the later of the window start and the first sighting, events
// counted from usage.
func TestTrust(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	grant := func(id string) rightsize.GrantRow {
		return rightsize.GrantRow{IdentityID: id, Provider: "aws", Permission: "s3:GetObject", Resources: []string{"*"}}
	}
	use := func(id string, n int64) rightsize.UsageRow {
		return rightsize.UsageRow{IdentityID: id, Action: rightsize.Action{Product: "aws.cloudtrail", Service: "s3.amazonaws.com", Name: "GetObject"},
			Uses: n, First: now.Add(-24 * time.Hour), Last: now.Add(-time.Hour)}
	}
	in := rightsize.Input{
		Grants: []rightsize.GrantRow{grant("old"), grant("new"), grant("quiet"), grant("unseen"),
			{IdentityID: "old", Provider: "aws", Permission: "s3:DeleteObject", Sensitive: "data_deletion", Resources: []string{"*"}}},
		Usage: []rightsize.UsageRow{use("old", 10), use("new", 10), use("quiet", 9)},
		Identities: map[string]rightsize.IdentityInfo{
			"old":    {Class: "ai_agent", FirstSeen: now.Add(-365 * 24 * time.Hour)},
			"new":    {Class: "ai_agent", FirstSeen: now.Add(-29 * 24 * time.Hour)},
			"quiet":  {Class: "ai_user", FirstSeen: now.Add(-60 * 24 * time.Hour)},
			"unseen": {Class: "mystery"},
		},
	}
	r := rightsize.Analyze(in, rightsize.Options{Now: now, Config: rightsize.Config{Window: 30 * 24 * time.Hour, MinDays: 30, MinEvents: 10}})
	got := map[string]rightsize.Identity{}
	var order []string
	for _, id := range r.Identities {
		got[id.ID] = id
		order = append(order, id.ID)
	}
	if strings.Join(order, " ") != "old new quiet unseen" {
		t.Fatalf("order %v", order)
	}
	for id, want := range map[string]struct {
		days    float64
		trusted bool
		why     string
	}{
		"old":    {30, true, ""},
		"new":    {29, false, "observed 29.0 days, fewer than 30"},
		"quiet":  {30, false, "9 events, fewer than 10"},
		"unseen": {30, false, "0 events, fewer than 10"},
	} {
		g := got[id]
		if g.ObservedDays != want.days || g.Trusted != want.trusted || g.UntrustedReason != want.why {
			t.Errorf("%s: %.1f days, trusted %v (%s)", id, g.ObservedDays, g.Trusted, g.UntrustedReason)
		}
	}
	old := got["old"]
	if old.Granted != 2 || old.Used != 1 || old.Removable != 1 || old.SensitiveUnused != 1 || old.SensitiveRemovable != 1 {
		t.Errorf("old: %+v", old)
	}
	if got["unseen"].Class != "mystery" || r.Classes[len(r.Classes)-1].Class != "mystery" {
		t.Errorf("classes %v", r.Classes)
	}
	if r.AI.Identities != 3 || r.Overall.Identities != 4 || r.AI.Removable != 1 {
		t.Errorf("AI %+v overall %+v", r.AI, r.Overall)
	}
}

// TestApplicationSignIns shows an application sign-in using the
// assignment of the application it names, and one to an unassigned
// application counted as used but not granted.
func TestApplicationSignIns(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	id := "entra:t:u1"
	in := rightsize.Input{
		Grants: []rightsize.GrantRow{
			{IdentityID: id, Provider: "entra", Permission: "app:a1", Resources: []string{"a1"}},
			{IdentityID: id, Provider: "entra", Permission: "app:a2", Resources: []string{"a2"}},
		},
		Usage: []rightsize.UsageRow{{IdentityID: id, Action: rightsize.Action{Product: "entra", Name: "signIn.interactiveUser", TargetType: "application"},
			Uses: 3, First: now.Add(-time.Hour), Last: now.Add(-time.Minute), Targets: []string{"a1", "a9"}}},
	}
	r := rightsize.Analyze(in, rightsize.Options{Now: now, Config: rightsize.Config{Window: time.Hour}})
	got := r.Identities[0]
	if got.Used != 1 || got.UsedNotGranted != 1 || strings.Join(got.Recommendation.Remove, " ") != "app:a2" ||
		got.Recommendation.Kind != "app-assignments" {
		t.Fatalf("%+v", got)
	}
}

func TestConfig(t *testing.T) {
	if err := rightsize.DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	err := rightsize.Config{Window: time.Minute, MinDays: -1, MinEvents: -1}.Validate()
	for _, want := range []string{"window: 1m0s is shorter than an hour", "min_days: -1 is negative", "min_events: -1 is negative"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want %q", err, want)
		}
	}
	if err := (rightsize.Config{Window: 24 * time.Hour, MinDays: 2}).Validate(); err == nil || !strings.Contains(err.Error(), "longer than the window") {
		t.Errorf("a minimum longer than the window: %v", err)
	}
	if _, err := rightsize.ParseFormat("pdf"); err == nil {
		t.Error("pdf accepted")
	}
}
