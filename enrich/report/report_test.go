package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/enrich/report"
)

// reportCases are the golden cases: the fixture world over all time with
// a permission snapshot, and over the second half of June without one.
var reportCases = []struct {
	name       string
	since      time.Time
	withGrants bool
}{
	{name: "all_time", withGrants: true},
	{name: "since_no_grants", since: day(15, 0)},
}

// buildCase loads the fixture into a fresh database and builds the report
// of the case against testdata/assumed.csv.
func buildCase(t *testing.T, since time.Time, withGrants bool) *report.Report {
	t.Helper()
	conn, db := database(t)
	loadFixture(t, conn, db, withGrants)
	assumed, err := report.ReadAssumed(filepath.Join("testdata", "assumed.csv"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(context.Background(), conn, assumed, report.Options{Since: since, Now: reportTime})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s", path, got)
	}
}

// TestReportGolden shows the report of the fixture world in every text
// format against its golden file, and that the CSV carries the very numbers
// of the JSON.
func TestReportGolden(t *testing.T) {
	for _, c := range reportCases {
		t.Run(c.name, func(t *testing.T) {
			r := buildCase(t, c.since, c.withGrants)
			outputs := map[report.Format][]byte{}
			for _, f := range []report.Format{report.FormatJSON, report.FormatCSV, report.FormatTable, report.FormatHTML} {
				var b bytes.Buffer
				if err := r.Write(&b, f); err != nil {
					t.Fatal(err)
				}
				outputs[f] = b.Bytes()
			}
			golden(t, c.name+".golden.json", outputs[report.FormatJSON])
			golden(t, c.name+".golden.csv", outputs[report.FormatCSV])
			golden(t, c.name+".golden.txt", outputs[report.FormatTable])
			golden(t, c.name+".golden.html", outputs[report.FormatHTML])

			fromJSON := decodeJSON(t, outputs[report.FormatJSON])
			want := measureMap(fromJSON.Measures())
			if got := csvMeasures(t, outputs[report.FormatCSV]); !maps.Equal(got, want) {
				t.Errorf("the CSV's numbers differ from the JSON's:\n csv: %v\njson: %v", got, want)
			}
			checkHTML(t, outputs[report.FormatHTML], fromJSON)
			checkTable(t, outputs[report.FormatTable], fromJSON)
		})
	}
}

// TestReportFixtureAnswers spells out what the fixture world must show, so
// that a golden file regenerated with a wrong answer does not pass review
// unnoticed.
func TestReportFixtureAnswers(t *testing.T) {
	r := buildCase(t, time.Time{}, true)

	if r.Headline.Text != "observed 8 AI identities, the assumed inventory knew 5 (62.5%)" {
		t.Errorf("headline %q", r.Headline.Text)
	}
	counts := map[string]report.ClassCounts{}
	for _, c := range r.Classes {
		counts[c.Class] = c
	}
	for _, want := range []report.ClassCounts{
		{Class: "ai_user", Observed: 3, Assumed: 4, Matched: 2, ObservedNotAssumed: 1, AssumedNotSeen: 1},
		{Class: "ai_builder", Observed: 2, Assumed: 1, Matched: 2, ObservedNotAssumed: 0, AssumedNotSeen: 0},
		{Class: "ai_agent", Observed: 3, Assumed: 1, Matched: 1, ObservedNotAssumed: 2, AssumedNotSeen: 0},
		{Class: "human", Observed: 1, Assumed: 0, Matched: 0, ObservedNotAssumed: 1, AssumedNotSeen: 0},
		{Class: "service", Observed: 1, Assumed: 2, Matched: 1, ObservedNotAssumed: 0, AssumedNotSeen: 1},
		{Class: "unknown", Observed: 1, Assumed: 0, Matched: 0, ObservedNotAssumed: 1, AssumedNotSeen: 0},
	} {
		if got := counts[want.Class]; got != want {
			t.Errorf("class %s: got %+v, want %+v", want.Class, got, want)
		}
	}

	keys := map[string]string{}
	for _, m := range r.Matches {
		keys[m.IdentityID] = m.Key + "=" + m.Value
	}
	wantKeys := map[string]string{
		alice:   "email=alice.martin@acme.example",
		bob:     "name=Bob Smith",
		carol:   "email=carol.diaz@acme.example",
		support: "id=arn:aws:iam::123456789012:role/bedrock-support-agent",
		trainer: "alias=trainer@acme-ml-dev.iam.gserviceaccount.com",
		// The entry says REPORT-BOT: names match whatever their case.
		reportBot: "name=REPORT-BOT",
	}
	if !maps.Equal(keys, wantKeys) {
		t.Errorf("matches %v, want %v", keys, wantKeys)
	}

	var notSeen []string
	for _, e := range r.AssumedNotSeen {
		notSeen = append(notSeen, e.Label())
	}
	if !slices.Equal(notSeen, []string{"erin.lee@acme.example", "legacy-etl"}) {
		t.Errorf("assumed not seen %v", notSeen)
	}
	var gap []string
	for _, g := range r.ObservedNotAssumed {
		gap = append(gap, g.IdentityID)
	}
	if !slices.Equal(gap, []string{bobHome, reviewer, batchAgent, dave, cron}) {
		t.Errorf("observed not assumed %v", gap)
	}

	var bad []string
	for _, b := range r.Assumed.BadRows {
		bad = append(bad, b.Error())
	}
	wantBad := []string{
		"testdata/assumed.csv:10: no id, email or name: the row names no identity",
		`testdata/assumed.csv:11:1: email "frank@acme" is not an e-mail address`,
		`testdata/assumed.csv:12:24: class "robot": want ai_user, ai_builder, ai_agent, human or service`,
		"testdata/assumed.csv:13: duplicate of line 3 (alice.martin@acme.example)",
		"testdata/assumed.csv:15: 9 fields, the header has 8",
	}
	if !slices.Equal(bad, wantBad) {
		t.Errorf("bad rows:\n%s\nwant:\n%s", strings.Join(bad, "\n"), strings.Join(wantBad, "\n"))
	}

	if len(r.ShadowAI.Services) != 3 || r.ShadowAI.Services[0].Service != "chatgpt" || r.ShadowAI.Services[0].Events != 2 ||
		r.ShadowAI.Services[0].PersonalIdentities != 1 {
		t.Errorf("shadow services %+v", r.ShadowAI.Services)
	}
	if ps := r.HighRisk.PersonalSensitive; len(ps) != 1 || ps[0].IdentityID != bobHome || ps[0].HighestSensitivity != "restricted" ||
		ps[0].Findings != 7 || !slices.Equal(ps[0].FindingTypes, []string{"credit_card", "customer_record"}) || ps[0].Known {
		t.Errorf("personal accounts reaching sensitive data %+v", ps)
	}
	if sc := r.HighRisk.SharedCredentialAgents; len(sc) != 2 || sc[0].IdentityID != batchAgent ||
		!slices.Equal(sc[0].SharedWith, []string{reportBot}) || sc[1].IdentityID != support || !sc[1].InventoryFlag {
		t.Errorf("agents on shared credentials %+v", sc)
	}
	if dp := r.HighRisk.DevToProd; len(dp) != 2 || dp[0].IdentityID != carol || dp[0].Events != 2 || dp[1].IdentityID != trainer {
		t.Errorf("dev identities reaching prod %+v", dp)
	}
	if bp := r.HighRisk.BroadPermissionAgents; len(bp) != 2 || bp[0].IdentityID != support || bp[0].UnusedShare != 0.8 ||
		bp[1].IdentityID != batchAgent || !slices.Equal(bp[1].WildcardGrants, []string{"s3:*"}) {
		t.Errorf("agents with broad permissions %+v", bp)
	}
	if slices.Contains(r.Notes, report.NoPermissionSnapshots) {
		t.Error("the note on missing permission snapshots is there though grants were imported")
	}
}

// TestReportWindowWithoutGrants shows the window leaving out an identity
// last seen before it, and the report saying that broad permissions cannot
// be judged rather than listing none.
func TestReportWindowWithoutGrants(t *testing.T) {
	r := buildCase(t, day(15, 0), false)
	if r.Headline.Text != "observed 7 AI identities, the assumed inventory knew 4 (57.1%)" {
		t.Errorf("headline %q", r.Headline.Text)
	}
	for _, m := range r.Matches {
		if m.IdentityID == trainer {
			t.Errorf("the trainer, last seen on June 1st, is matched in a window from June 15th")
		}
	}
	if r.HighRisk.PermissionSnapshots || len(r.HighRisk.BroadPermissionAgents) != 0 {
		t.Errorf("permission snapshots %v, broad agents %v", r.HighRisk.PermissionSnapshots, r.HighRisk.BroadPermissionAgents)
	}
	if !slices.Contains(r.Notes, report.NoPermissionSnapshots) {
		t.Errorf("notes %q lack %q", r.Notes, report.NoPermissionSnapshots)
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "High risk: agents with broad permissions (0)\n  no permission snapshots yet\n") {
		t.Errorf("the table does not say there are no permission snapshots yet:\n%s", table.String())
	}
	// Only the personal event of the window counts.
	if ps := r.HighRisk.PersonalSensitive; len(ps) != 1 || ps[0].Events != 1 || ps[0].Findings != 5 {
		t.Errorf("personal accounts reaching sensitive data %+v", ps)
	}
}

func decodeJSON(t *testing.T, b []byte) *report.Report {
	t.Helper()
	var r report.Report
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decode the JSON report: %v", err)
	}
	return &r
}

func measureMap(ms []report.Measure) map[string]string {
	out := make(map[string]string, len(ms))
	for _, m := range ms {
		out[m.Name] = m.Value
	}
	return out
}

// csvMeasures reads the numbers back from the CSV report, naming them as
// Measures does.
func csvMeasures(t *testing.T, b []byte) map[string]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], report.CSVHeader) {
		t.Fatalf("CSV header %v", rows[0])
	}
	out := map[string]string{}
	for _, r := range rows[1:] {
		section, class, item, measure, value := r[0], r[1], r[4], r[6], r[7]
		switch section {
		case "headline", "assumed", "list", "shadow_ai", "high_risk":
			out[section+"."+measure] = value
		case "class":
			out["class."+class+"."+measure] = value
		case "shadow_service":
			out["shadow_ai.service."+item+"."+measure] = value
		}
	}
	return out
}

// checkTable checks the class rows of the terminal table against the report.
func checkTable(t *testing.T, b []byte, r *report.Report) {
	t.Helper()
	text := string(b)
	if !strings.Contains(text, strings.ToUpper(r.Headline.Text[:1])+r.Headline.Text[1:]+".\n") {
		t.Errorf("the table lacks the headline %q", r.Headline.Text)
	}
	for _, c := range append(r.Classes, r.Total) {
		want := strings.Join([]string{c.Class, strconv.Itoa(c.Observed), strconv.Itoa(c.Assumed), strconv.Itoa(c.Matched),
			strconv.Itoa(c.ObservedNotAssumed), strconv.Itoa(c.AssumedNotSeen)}, " ")
		found := false
		for line := range strings.Lines(text) {
			if strings.Join(strings.Fields(line), " ") == want {
				found = true
			}
		}
		if !found {
			t.Errorf("the table has no row %q", want)
		}
	}
}
