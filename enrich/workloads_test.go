package enrich_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/schemas"
)

// use is one use of a credential: by which workload (address and user
// agent), and when after t0.
type use struct {
	ip, ua string
	at     time.Duration
}

// every returns uses of one workload every step from..to (inclusive).
func every(ip, ua string, from, to, step time.Duration) []use {
	var out []use
	for at := from; at <= to; at += step {
		out = append(out, use{ip, ua, at})
	}
	return out
}

// byTime merges uses in time order.
func byTime(lists ...[]use) []use {
	var out []use
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.SortStableFunc(out, func(a, b use) int { return int(a.at - b.at) })
	return out
}

// TestCredentialWorkloads shows enrichment.credential_workloads counts the
// workloads running one long-lived credential at once (each in use for at
// least the shared-credential window, 5m, and used within it), and that
// an agent's credential run by two workloads is flagged as shared in the
// inventory, while a workload replacing another, a deployment rolling over
// in a few minutes, one workload whose client changes, a role's sessions
// and a person's own key are not.
func TestCredentialWorkloads(t *testing.T) {
	const a, b = "10.20.1.5", "10.54.76.197"
	cases := []struct {
		name   string
		id     string
		typ    schemas.CredentialType
		uses   []use
		most   int32 // the largest credential_workloads of the uses
		shared bool
	}{
		{"two workloads on one key for half an hour", "aws:123456789012:user/agent-a", schemas.CredentialAccessKey,
			byTime(every(a, "Boto3/1.34.62 md/Botocore#1.34.62", 0, 30*time.Minute, 2*time.Minute),
				every(b, "aws-sdk-go-v2/1.30.3 os/linux", time.Minute, 31*time.Minute, 3*time.Minute)), 2, true},
		{"two hosts of one client on an API key", "aws:123456789012:user/agent-b", schemas.CredentialAPIKey,
			byTime(every(a, "OpenAI/Python 1.57.0", 0, 20*time.Minute, time.Minute),
				every(b, "OpenAI/Python 1.51.0", 0, 20*time.Minute, 4*time.Minute)), 2, true},
		{"three workloads, the third joining later", "aws:123456789012:user/agent-g", schemas.CredentialAPIKey,
			byTime(every(a, "OpenAI/Python", 0, 40*time.Minute, time.Minute),
				every(b, "OpenAI/Python", 0, 40*time.Minute, 2*time.Minute),
				every("10.99.0.7", "OpenAI/Python", 20*time.Minute, 40*time.Minute, 2*time.Minute)), 3, true},
		{"a workload replaced by another", "aws:123456789012:user/agent-c", schemas.CredentialAccessKey,
			byTime(every(a, "Boto3/1.34.62", 0, 30*time.Minute, 2*time.Minute),
				every(b, "Boto3/1.34.62", 31*time.Minute, 60*time.Minute, 2*time.Minute)), 1, false},
		{"a rolling deployment overlapping for three minutes", "aws:123456789012:user/agent-d", schemas.CredentialAccessKey,
			byTime(every(a, "Boto3/1.34.62", 0, 30*time.Minute, time.Minute),
				every(b, "Boto3/1.34.62", 27*time.Minute, 60*time.Minute, time.Minute)), 1, false},
		{"one host whose user agent names each command", "aws:123456789012:user/agent-e", schemas.CredentialAccessKey,
			byTime(every(a, "aws-cli/2.17.12 md/command#s3.cp", 0, 20*time.Minute, 2*time.Minute),
				every(a, "aws-cli/2.17.12 md/command#s3.ls", time.Minute, 21*time.Minute, 2*time.Minute)), 1, false},
		{"a role's sessions on two hosts", "aws:123456789012:user/agent-f", schemas.CredentialSessionToken,
			byTime(every(a, "Boto3/1.34.62", 0, 30*time.Minute, 2*time.Minute),
				every(b, "Boto3/1.34.62", time.Minute, 31*time.Minute, 2*time.Minute)), 0, false},
		{"a person's own key on a laptop and a server", "aws:123456789012:user/priya.natarajan", schemas.CredentialAccessKey,
			byTime(every(a, "Boto3/1.34.10", 0, 30*time.Minute, 2*time.Minute),
				every(b, "Boto3/1.34.62", time.Minute, 31*time.Minute, 2*time.Minute)), 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := enrich.NewEnricher(testConfig(), fixed(lookups(t, testConfig())))
			var most int32
			var firstTwo time.Duration = -1
			for i, u := range c.uses {
				ev := awsKeyEvent(c.id, "AKIAKEY", u.ua, u.ip, u.at)
				ev.Session.CredentialType = c.typ
				if strings.Contains(c.id, "priya") {
					ev.Identity.Kind = schemas.KindHuman // her own IAM user
				}
				x.Enrich(ev, 0, int64(i))
				most = max(most, ev.Enrichment.CredentialWorkloads)
				if ev.Enrichment.CredentialWorkloads >= 2 && firstTwo < 0 {
					firstTwo = u.at
				}
			}
			if most != c.most {
				t.Errorf("credential_workloads reached %d, want %d", most, c.most)
			}
			if firstTwo >= 0 && firstTwo < 5*time.Minute {
				t.Errorf("two workloads counted at %s, before either ran for the 5m window", firstTwo)
			}
			row := x.Identity(c.id).Identity
			if row.SharedCredential != c.shared {
				t.Errorf("inventory shared_credential %v, want %v (evidence %q)", row.SharedCredential, c.shared, row.ClassEvidence)
			}
			if c.shared && !slices.ContainsFunc(row.ClassEvidence, func(e string) bool {
				return strings.HasPrefix(e, "shares a credential: credential AKIAKEY used ")
			}) {
				t.Errorf("evidence %q does not name the workloads", row.ClassEvidence)
			}
		})
	}
}

// TestCredentialWorkloadsReplay shows a replayed event is counted against
// the workloads already seen, without being recorded again.
func TestCredentialWorkloadsReplay(t *testing.T) {
	x := enrich.NewEnricher(testConfig(), fixed(lookups(t, testConfig())))
	uses := byTime(every("10.0.0.1", "Boto3/1.34", 0, 10*time.Minute, time.Minute), every("10.0.9.9", "Boto3/1.34", 0, 10*time.Minute, time.Minute))
	var last *schemas.Event
	for i, u := range uses {
		last = awsKeyEvent("aws:123456789012:user/agent-r", "AKIAR", u.ua, u.ip, u.at)
		x.Enrich(last, 0, int64(i))
	}
	if last.Enrichment.CredentialWorkloads != 2 {
		t.Fatalf("credential_workloads %d, want 2", last.Enrichment.CredentialWorkloads)
	}
	// The first use again, replayed after a restart: no third workload.
	again := awsKeyEvent("aws:123456789012:user/agent-r", "AKIAR", "Boto3/1.34", "10.0.0.1", 10*time.Minute)
	x.Enrich(again, 0, 3)
	if again.Enrichment.CredentialWorkloads != 2 || x.Identity("aws:123456789012:user/agent-r").Identity.Events != int64(len(uses)) {
		t.Errorf("replay: credential_workloads %d, events %d", again.Enrichment.CredentialWorkloads, x.Identity("aws:123456789012:user/agent-r").Identity.Events)
	}
	none := awsKeyEvent("aws:123456789012:user/agent-r", "", "Boto3/1.34", "10.0.0.1", 11*time.Minute)
	x.Enrich(none, 0, int64(len(uses)))
	if none.Enrichment.CredentialWorkloads != 0 {
		t.Errorf("an event without a credential id counts %d workloads", none.Enrichment.CredentialWorkloads)
	}
}

// TestConfigWorkingHours shows a bad working_hours section is refused
// with its field.
func TestConfigWorkingHours(t *testing.T) {
	for _, c := range []struct {
		wh   enrich.WorkingHours
		want string
	}{
		{enrich.WorkingHours{Start: "7am"}, `working_hours: working hours start: "7am" is not a time of day such as 09:00 or 17:30`},
		{enrich.WorkingHours{Days: []string{"Mon-Fry"}}, `working_hours: working days: "fry" is not a day of the week`},
		{enrich.WorkingHours{TimeZone: "Central European Time"}, `working_hours: time zone: "Central European Time" is not an IANA time zone`},
		{enrich.WorkingHours{Start: "22:00", End: "06:00", TimeZone: "UTC+05:30"}, ""},
	} {
		cfg := enrich.DefaultConfig()
		cfg.WorkingHours = c.wh
		err := cfg.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.wh, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("%+v: %v, want %q", c.wh, err, c.want)
		}
	}
}
