package rightsize_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/enrich/rightsize"
)

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
		t.Fatalf("%v (run go test -update to write the golden files)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff)", name)
	}
}

func fixtureReport(t *testing.T) *rightsize.Report {
	t.Helper()
	conn, db := database(t)
	loadFixture(t, conn, db)
	r, err := rightsize.Build(context.Background(), conn, fixtureOpts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// used are the permissions each fixture identity exercised in the window
// and holds: read off the fixture events by hand.
var used = map[string][]string{
	agent:     {"bedrock:InvokeModel", "s3:GetObject", "secretsmanager:GetSecretValue"},
	builder:   {"sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob"},
	user:      {"bedrock:InvokeModel"},
	gcpAgent:  {"aiplatform.endpoints.predict"},
	k8sAgent:  {"secrets:get", "seldondeployments.machinelearning.seldon.io:create"},
	k8sTrain:  {"pods:create", "secrets:get"},
	oktaUser:  {"app:0oa5x8y9z0AbCdEfG1d7"},
	ghBuilder: {"scope:admin:org", "scope:repo"},
}

// usedNotGranted are the permissions each identity used that its
// snapshots do not grant.
var usedNotGranted = map[string]int{
	agent:    1, // cloudtrail:StopLogging
	builder:  1, // bedrock:CreateModelCustomizationJob
	user:     2, // iam:AttachRolePolicy, sts:GetSessionToken
	gcpAgent: 1, // logging.sinks.delete
	k8sTrain: 2, // configmaps:update, selfsubjectaccessreviews.authorization.k8s.io:create
}

// TestReportNumbers checks every number of the fixture report against the
// fixture itself: granted from the latest snapshot (the older one's grant
// is not counted), used from the events, sensitive unused, trust from the
// thresholds, removable, the order agents, builders, users, and the
// totals per class, for the AI identities and overall.
func TestReportNumbers(t *testing.T) {
	r := fixtureReport(t)
	granted := map[string]map[string]string{} // identity -> permission -> sensitive class
	for _, g := range fixtureGrants(t) {
		if granted[g.IdentityID] == nil {
			granted[g.IdentityID] = map[string]string{}
		}
		granted[g.IdentityID][g.Permission] = g.Sensitive
	}
	if len(r.Identities) != 8 {
		t.Fatalf("%d identities", len(r.Identities))
	}
	trusted := map[string]bool{agent: true, builder: true, gcpAgent: true, k8sAgent: true, k8sTrain: true, ghBuilder: true}
	var order []string
	want := map[string]*rightsize.Totals{"ai_agent": {}, "ai_builder": {}, "ai_user": {}}
	for _, id := range r.Identities {
		order = append(order, id.Class)
		g := granted[id.ID]
		if id.Granted != len(g) {
			t.Errorf("%s: granted %d, the latest snapshot grants %d", id.ID, id.Granted, len(g))
		}
		if _, old := g["iam:CreateUser"]; old || slices.ContainsFunc(id.Permissions, func(p rightsize.Permission) bool { return p.Name == "iam:CreateUser" }) {
			t.Errorf("%s holds iam:CreateUser of an older snapshot", id.ID)
		}
		var gotUsed []string
		for _, p := range id.Permissions {
			if p.Granted && p.Used {
				gotUsed = append(gotUsed, p.Name)
				if p.Uses <= 0 || p.LastUsed.IsZero() || p.LastUsed.After(reportTime) {
					t.Errorf("%s %s: uses %d, last used %v", id.ID, p.Name, p.Uses, p.LastUsed)
				}
			}
		}
		if !slices.Equal(gotUsed, used[id.ID]) || id.Used != len(used[id.ID]) {
			t.Errorf("%s: used %v (%d), want %v", id.ID, gotUsed, id.Used, used[id.ID])
		}
		if id.UsedNotGranted != usedNotGranted[id.ID] {
			t.Errorf("%s: used not granted %d, want %d", id.ID, id.UsedNotGranted, usedNotGranted[id.ID])
		}
		sensitive, sensitiveUnused := 0, 0
		for p, class := range g {
			if class != "" {
				sensitive++
				if !slices.Contains(used[id.ID], p) {
					sensitiveUnused++
				}
			}
		}
		if id.SensitiveGranted != sensitive || id.SensitiveUnused != sensitiveUnused || len(id.SensitiveUnusedList) != sensitiveUnused {
			t.Errorf("%s: sensitive %d/%d, want %d/%d", id.ID, id.SensitiveUnused, id.SensitiveGranted, sensitiveUnused, sensitive)
		}
		if id.Trusted != trusted[id.ID] {
			t.Errorf("%s: trusted %v (%s)", id.ID, id.Trusted, id.UntrustedReason)
		}
		removable := 0
		if trusted[id.ID] {
			removable = len(g) - len(used[id.ID])
		}
		if id.Unused != len(g)-len(used[id.ID]) || id.Removable != removable {
			t.Errorf("%s: unused %d removable %d, want %d and %d", id.ID, id.Unused, id.Removable, len(g)-len(used[id.ID]), removable)
		}
		if share := float64(id.Unused) / float64(id.Granted); id.UnusedShare != float64(int(share*1000+0.5))/1000 {
			t.Errorf("%s: unused share %v of %v", id.ID, id.UnusedShare, share)
		}
		if !slices.Equal(id.Recommendation.Keep, used[id.ID]) || len(id.Recommendation.Remove) != id.Unused {
			t.Errorf("%s: keeps %v, removes %d", id.ID, id.Recommendation.Keep, len(id.Recommendation.Remove))
		}
		w := want[id.Class]
		w.Identities++
		if id.Trusted {
			w.Trusted++
			w.SensitiveRemovable += int64(sensitiveUnused)
		}
		w.Granted += int64(len(g))
		w.Used += int64(len(used[id.ID]))
		w.Unused += int64(len(g) - len(used[id.ID]))
		w.SensitiveGranted += int64(sensitive)
		w.SensitiveUnused += int64(sensitiveUnused)
		w.Removable += int64(removable)
	}
	wantOrder := []string{"ai_agent", "ai_agent", "ai_agent", "ai_builder", "ai_builder", "ai_builder", "ai_user", "ai_user"}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("order %v", order)
	}
	for i, id := range r.Identities {
		if id.Priority != i+1 {
			t.Errorf("%s has priority %d at %d", id.ID, id.Priority, i+1)
		}
	}
	var ai rightsize.Totals
	for i, c := range r.Classes {
		w := want[c.Class]
		if c.Class != wantOrder[0] && i == 0 || w == nil {
			t.Fatalf("classes %v", r.Classes)
		}
		w.UnusedShare = float64(int(float64(w.Unused)/float64(w.Granted)*1000+0.5)) / 1000
		w.Reduction = float64(int(float64(w.Removable)/float64(w.Granted)*1000+0.5)) / 1000
		if w.SensitiveGranted > 0 {
			w.SensitiveReduction = float64(int(float64(w.SensitiveRemovable)/float64(w.SensitiveGranted)*1000+0.5)) / 1000
		}
		if c.Totals != *w {
			t.Errorf("class %s: %+v, want %+v", c.Class, c.Totals, *w)
		}
		ai.Identities += w.Identities
		ai.Trusted += w.Trusted
		ai.Granted += w.Granted
		ai.Removable += w.Removable
	}
	if r.AI.Identities != 8 || r.AI.Trusted != 6 || r.AI.Used != 14 || r.AI.Granted != ai.Granted || r.AI.Removable != ai.Removable || r.Overall != r.AI {
		t.Errorf("AI totals %+v, overall %+v", r.AI, r.Overall)
	}
	if !strings.HasPrefix(r.Headline(), "AI identities: 8 (6 trusted), ") {
		t.Errorf("headline %q", r.Headline())
	}
}

// TestRecommendations keeps the artefact and the diff of every fixture
// identity as golden files: the over-privileged Bedrock agent, the
// builder with SageMaker full access and the user (AWS IAM policies), the
// Vertex AI agent (a Google Cloud custom role), the Kubernetes agent and
// trainer (Roles), the GitHub builder (token scopes) and the Okta user
// (assignments).
func TestRecommendations(t *testing.T) {
	r := fixtureReport(t)
	names := map[string]string{
		agent: "bedrock-agent", builder: "sagemaker-builder", user: "bedrock-user", gcpAgent: "vertex-agent",
		k8sAgent: "k8s-model-pusher", k8sTrain: "k8s-trainer", oktaUser: "okta-user", ghBuilder: "github-builder",
	}
	ext := map[string]string{"json": ".json", "yaml": ".yaml", "text": ".txt"}
	for _, id := range r.Identities {
		name := names[id.ID]
		golden(t, name+".golden"+ext[id.Recommendation.Format], []byte(id.Recommendation.Artifact))
		golden(t, name+".golden.diff", []byte(id.Recommendation.Diff))
	}
	for _, id := range r.Identities {
		rec := id.Recommendation
		switch id.ID {
		case agent, builder, user:
			var policy struct {
				Version   string
				Statement []struct{ Effect string }
			}
			if err := json.Unmarshal([]byte(rec.Artifact), &policy); err != nil || policy.Version != "2012-10-17" || len(policy.Statement) == 0 {
				t.Errorf("%s: not an IAM policy: %v\n%s", id.ID, err, rec.Artifact)
			}
		}
	}
	// The agent's policy names the model, bucket objects and secret the
	// events show, not the * it was granted.
	a := r.Identities[0]
	if a.ID != agent || len(a.Recommendation.Narrowed) != 3 ||
		!strings.Contains(a.Recommendation.Artifact, `"arn:aws:s3:::acme-support-kb/*"`) ||
		!strings.Contains(a.Recommendation.Artifact, `"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/openai/api-key-AbCdEf"`) {
		t.Errorf("agent recommendation:\n%s\n%+v", a.Recommendation.Artifact, a.Recommendation.Narrowed)
	}
}

// TestFormats keeps the table, CSV and HTML renderings as golden files,
// checks that every number the HTML marks is the report's, and that the
// JSON reads back into the same report.
func TestFormats(t *testing.T) {
	r := fixtureReport(t)
	out := map[rightsize.Format]*bytes.Buffer{}
	for _, f := range []rightsize.Format{rightsize.FormatTable, rightsize.FormatCSV, rightsize.FormatHTML, rightsize.FormatJSON} {
		out[f] = &bytes.Buffer{}
		if err := r.Write(out[f], f); err != nil {
			t.Fatal(err)
		}
	}
	golden(t, "report.golden.txt", out[rightsize.FormatTable].Bytes())
	golden(t, "report.golden.csv", out[rightsize.FormatCSV].Bytes())
	golden(t, "report.golden.html", out[rightsize.FormatHTML].Bytes())
	var back rightsize.Report
	if err := json.Unmarshal(out[rightsize.FormatJSON].Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.AI != r.AI || len(back.Identities) != len(r.Identities) || back.Identities[0].Recommendation.Artifact != r.Identities[0].Recommendation.Artifact {
		t.Errorf("JSON does not read back: %+v", back.AI)
	}

	html := out[rightsize.FormatHTML].String()
	if strings.Contains(html, "<script") || strings.Contains(html, "http://") && !strings.Contains(html, `xmlns="http://www.w3.org/2000/svg"`) || strings.Contains(html, "https://") {
		t.Error("the HTML report loads something")
	}
	measures := map[string]string{}
	for _, m := range regexp.MustCompile(`data-measure="([^"]+)"(?: data-identity="([^"]+)")? data-value="([^"]+)"`).FindAllStringSubmatch(html, -1) {
		measures[m[1]+"|"+m[2]] = m[3]
	}
	check := func(key string, want string) {
		t.Helper()
		if got, ok := measures[key]; !ok || got != want {
			t.Errorf("HTML %s = %q (present %v), want %s", key, got, ok, want)
		}
	}
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	check("ai.granted|", i64(r.AI.Granted))
	check("ai.removable|", i64(r.AI.Removable))
	check("ai.reduction|", strconv.FormatFloat(r.AI.Reduction*100, 'f', 1, 64))
	for _, c := range r.Classes {
		check("class."+c.Class+".granted|", i64(c.Granted))
		check("class."+c.Class+".removable|", i64(c.Removable))
	}
	for _, id := range r.Identities {
		check("identity.granted|"+id.ID, strconv.Itoa(id.Granted))
		check("identity.used|"+id.ID, strconv.Itoa(id.Used))
	}
	csvLines := strings.Split(strings.TrimSpace(out[rightsize.FormatCSV].String()), "\n")
	if len(csvLines) != 1+len(r.Identities) {
		t.Errorf("CSV has %d lines", len(csvLines))
	}
}

// TestStore writes the report into ClickHouse and reads the same numbers
// back, through the ready queries too; storing it again adds nothing.
func TestStore(t *testing.T) {
	conn, db := database(t)
	loadFixture(t, conn, db)
	ctx := context.Background()
	r, err := rightsize.Build(ctx, conn, fixtureOpts)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := rightsize.Store(ctx, conn, db, r); err != nil {
			t.Fatal(err)
		}
	}
	var ids, perms uint64
	var granted int64
	if err := conn.QueryRow(ctx, "SELECT count(), sum(granted) FROM rightsize_identities").Scan(&ids, &granted); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT count() FROM rightsize_permissions").Scan(&perms); err != nil {
		t.Fatal(err)
	}
	wantPerms := 0
	for _, id := range r.Identities {
		wantPerms += len(id.Permissions)
	}
	if int(ids) != len(r.Identities) || granted != r.Overall.Granted || int(perms) != wantPerms {
		t.Fatalf("stored %d identities granted %d, %d permissions; want %d, %d, %d", ids, granted, perms, len(r.Identities), r.Overall.Granted, wantPerms)
	}
	rows := readyQuery(t, conn, "rightsize_reduction_by_class")
	byScope := map[string][]string{}
	for _, row := range rows {
		byScope[row[0]] = row
	}
	for _, c := range r.Classes {
		row := byScope[c.Class]
		if row == nil || row[1] != strconv.Itoa(c.Identities) || row[3] != strconv.FormatInt(c.Granted, 10) ||
			row[9] != strconv.FormatInt(c.Removable, 10) || row[10] != strconv.FormatFloat(c.Reduction, 'f', -1, 64) {
			t.Errorf("ready query row for %s: %v, report %+v", c.Class, row, c.Totals)
		}
	}
	if ai := byScope["ai"]; ai == nil || ai[10] != strconv.FormatFloat(r.AI.Reduction, 'f', -1, 64) {
		t.Errorf("ready query AI row %v, report %+v", ai, r.AI)
	}
	order := readyQuery(t, conn, "rightsize_identities")
	if len(order) != len(r.Identities) {
		t.Fatalf("rightsize_identities returned %d rows", len(order))
	}
	for i, row := range order {
		if row[1] != r.Identities[i].ID {
			t.Errorf("row %d: %s, report %s", i, row[1], r.Identities[i].ID)
		}
	}
}
