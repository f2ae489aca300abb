package enrich_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/schemas"
)

// iamUserEvent is a model change by an AWS IAM user at a time.
func iamUserEvent(id string, at time.Time) *schemas.Event {
	return &schemas.Event{
		Time:     at,
		Source:   schemas.Source{Product: schemas.ProductAWSCloudTrail, Account: "123456789012"},
		Identity: schemas.Principal{ID: id, Kind: schemas.KindHuman, Provider: "aws", Account: "123456789012", Type: "IAMUser", Name: id[len("aws:123456789012:user/"):]},
		Action:   schemas.Action{Name: "UpdateEndpoint", Service: "sagemaker.amazonaws.com", Verb: schemas.VerbUpdate, Category: schemas.CategoryModelManagement},
		Target:   schemas.Target{Type: "endpoint", Name: "fraud-scorer", Tenant: "123456789012"},
		Outcome:  schemas.OutcomeSuccess,
		Network:  schemas.Network{SourceIP: "198.51.100.7", UserAgent: "aws-cli/2.17.12"},
	}
}

// TestOffHours shows an event judged against the working week of the
// person the identity belongs to, in the person's time zone, from its
// first event on (no baseline needed): the directory's hours (Priya, in
// Kolkata, 09:00-17:30), else the configured working day (Dana, in New
// York, 07:00-20:00); a person without a time zone is judged only once a
// default time zone is configured, and a workload listed in the directory
// never is.
func TestOffHours(t *testing.T) {
	// 2026-03-04 is a Wednesday, 2026-03-07 a Saturday.
	at := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	cases := []struct {
		name     string
		identity string
		at       string
		off      bool
	}{
		{"Priya at 10:30 in Kolkata", "aws:123456789012:user/priya.natarajan", "2026-03-04T05:00:00Z", false},
		{"Priya at 02:02 in Kolkata, 20:32 UTC the day before", "aws:123456789012:user/priya.natarajan", "2026-03-03T20:32:00Z", true},
		{"Priya at 18:00 in Kolkata, after her day", "aws:123456789012:user/priya.natarajan", "2026-03-04T12:30:00Z", true},
		{"Dana at 19:30 in New York, within the default day", "aws:123456789012:user/dana.lee", "2026-03-05T00:30:00Z", false},
		{"Dana at 01:47 in New York", "aws:123456789012:user/dana.lee", "2026-03-05T06:47:00Z", true},
		{"Dana on a Saturday afternoon", "aws:123456789012:user/dana.lee", "2026-03-07T19:00:00Z", true},
		{"Marco, no time zone, at 03:00 UTC", "aws:123456789012:user/marco.rossi", "2026-03-04T03:00:00Z", false},
		{"a service account's directory entry at 03:00", "aws:123456789012:user/svc-llm-batch", "2026-03-04T08:00:00Z", false},
		{"an identity the directory does not know", "aws:123456789012:user/stranger", "2026-03-04T03:00:00Z", false},
	}
	x := enrich.NewEnricher(testConfig(), fixed(lookups(t, testConfig())))
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := iamUserEvent(c.identity, at(c.at))
			x.Enrich(ev, 0, int64(i))
			if ev.Enrichment.OffHours != c.off {
				t.Errorf("off_hours %v, want %v (owner %q)", ev.Enrichment.OffHours, c.off, ev.Enrichment.Owner)
			}
		})
	}

	// A default time zone judges the people whose entry names none.
	cfg := testConfig()
	cfg.WorkingHours.TimeZone = "Europe/Berlin"
	y := enrich.NewEnricher(cfg, fixed(lookups(t, cfg)))
	for i, c := range []struct {
		at  string
		off bool
	}{{"2026-03-04T03:00:00Z", true}, {"2026-03-04T10:00:00Z", false}} {
		ev := iamUserEvent("aws:123456789012:user/marco.rossi", at(c.at))
		y.Enrich(ev, 0, int64(i))
		if ev.Enrichment.OffHours != c.off {
			t.Errorf("Marco at %s with a default time zone: off_hours %v, want %v", c.at, ev.Enrichment.OffHours, c.off)
		}
	}
}

// TestOffHoursFollowsTheDirectory shows a reloaded directory changes a
// person's working week for the identity's next event.
func TestOffHoursFollowsTheDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "people.csv")
	write := func(hours string) {
		t.Helper()
		data := "email,linked_accounts,time_zone,working_hours_start,working_hours_end\n" +
			"priya.natarajan@acme.example,aws:123456789012:user/priya.natarajan,Asia/Kolkata," + hours + "\n"
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("09:00,17:30")
	cfg := enrich.DefaultConfig()
	cfg.DirectoryFiles = []string{path}
	r, err := enrich.NewReloader(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	x := enrich.NewEnricher(cfg, r.Current)
	// 22:30 in Kolkata on a Wednesday.
	late := time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC)
	ev := iamUserEvent("aws:123456789012:user/priya.natarajan", late)
	x.Enrich(ev, 0, 1)
	if !ev.Enrichment.OffHours {
		t.Fatal("22:30 is within 09:00-17:30")
	}
	write("14:00,23:00")
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	ev = iamUserEvent("aws:123456789012:user/priya.natarajan", late.Add(time.Minute))
	x.Enrich(ev, 0, 2)
	if ev.Enrichment.OffHours {
		t.Error("22:31 is outside 14:00-23:00 after the reload")
	}
}

// TestWorkloadOwners shows a CMDB export read as a directory names the
// owner and team of agents: its owner (looked up in the people directory)
// and its team, else the owner's team; the team makes the agent's peer
// group.
func TestWorkloadOwners(t *testing.T) {
	cfg := testConfig()
	cfg.DirectoryFiles = append(cfg.DirectoryFiles, "testdata/cmdb.csv")
	x := enrich.NewEnricher(cfg, fixed(lookups(t, cfg)))
	gw := golden(t, "aigateway/litellm_payload_agent_key")[0]
	role := golden(t, "cloudtrail/bedrock_invoke_model")[0]
	role.Identity.ID = "aws:123456789012:role/ticket-triage-agent"
	for _, c := range []struct {
		ev                *schemas.Event
		owner, team, peer string
	}{
		{gw, "jkim@acme.example", "Support Automation", "ai_agent/Support Automation"},
		{role, "marco.rossi@acme.example", "Support Automation", "ai_agent/Support Automation"},
	} {
		x.Enrich(c.ev, 0, -1)
		en := c.ev.Enrichment
		if en.Owner != c.owner || en.Team != c.team || en.PeerGroup != c.peer || en.OffHours {
			t.Errorf("%s: owner %q team %q peer group %q off hours %v; want %q %q %q false",
				c.ev.Identity.ID, en.Owner, en.Team, en.PeerGroup, en.OffHours, c.owner, c.team, c.peer)
		}
	}
}
