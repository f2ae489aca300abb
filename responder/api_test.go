package responder_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// call makes an API request with token and decodes the JSON answer into
// out; it returns the status.
func call(t *testing.T, method, url, token, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, data)
		}
	}
	return resp.StatusCode
}

// The HTTP API authenticates analysts by bearer token, lists pending
// actions, approves them on the token's name, rolls back, reports status,
// and records dispositions: a false positive resolved denies what still
// waited and proposes an exception for review.
func TestHTTPAPI(t *testing.T) {
	url := natsServer(t)
	conn, db := clickhouseDB(t)
	rc := newReceiver(t)
	_, js := connect(t, url)
	cfg := testConfig(rc)
	cfg.HTTP.Tokens = map[string]secret.Secret{"alice": {Value: "alice-token-0123456789"}, "bob": {Value: "bob-token-0123456789"}}
	cfg.ExceptionsDir = t.TempDir()
	run := start(t, url, cfg, responder.WithAudit(responder.NewClickHouseAudit(conn, db)))
	h, err := run.r.Handler(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(h)
	t.Cleanup(api.Close)
	const alice, bob = "alice-token-0123456789", "bob-token-0123456789"

	approve := live(t, spec{class: schemas.ClassAIBuilder, severity: ocsf.SeverityMedium}, time.Second)
	fp := live(t, spec{class: schemas.ClassAIBuilder, severity: ocsf.SeverityMedium, rule: "aitdr-builder-weights-after-hours"}, time.Second)
	rc.expect(approve.id, fp.id)
	publish(t, js, approve, "")
	publish(t, js, fp, "")
	var pending []responder.Action
	eventually(t, "two pending actions", func() bool {
		pending = nil
		return call(t, "GET", api.URL+"/v1/respond/pending", alice, "", &pending) == 200 && len(pending) == 2
	})

	for _, tok := range []string{"", "wrong", alice + "x"} {
		if code := call(t, "GET", api.URL+"/v1/respond/pending", tok, "", nil); code != http.StatusUnauthorized {
			t.Errorf("token %q: status %d, want 401", tok, code)
		}
	}

	var approved []responder.Action
	if code := call(t, "POST", api.URL+"/v1/respond/actions/"+approve.id+"/approve", alice, `{"note": "owner confirmed"}`, &approved); code != 200 {
		t.Fatalf("approve: status %d", code)
	}
	if len(approved) != 1 || approved[0].Approver != "alice" || approved[0].Note != "owner confirmed" {
		t.Errorf("approved = %+v", approved)
	}
	if code := call(t, "POST", api.URL+"/v1/respond/actions/"+approved[0].ID+"/approve", bob, "", nil); code != http.StatusConflict {
		t.Errorf("approving twice: status %d, want 409", code)
	}
	if code := call(t, "POST", api.URL+"/v1/respond/actions/nope/approve", bob, "", nil); code != http.StatusNotFound {
		t.Errorf("approving an unknown id: status %d, want 404", code)
	}
	if code := call(t, "POST", api.URL+"/v1/respond/actions/"+approved[0].ID+"/approve", bob, `{"nope": 1}`, nil); code != http.StatusBadRequest {
		t.Errorf("unknown body field: status %d, want 400", code)
	}
	eventually(t, "the approved step to succeed", func() bool {
		var a responder.Action
		return call(t, "GET", api.URL+"/v1/respond/actions/"+approved[0].ID, bob, "", &a) == 200 && a.Status == responder.StatusSucceeded
	})
	var rb responder.Action
	if code := call(t, "POST", api.URL+"/v1/respond/actions/"+approved[0].ID+"/rollback", bob, `{"note": "wrong builder"}`, &rb); code != 200 {
		t.Fatalf("rollback: status %d", code)
	}
	if rb.RollbackOf != approved[0].ID || rb.Approver != "bob" {
		t.Errorf("rollback = %+v", rb)
	}

	var res responder.DispositionResult
	body := `{"disposition": "false_positive", "note": "scheduled retraining job"}`
	if code := call(t, "POST", api.URL+"/v1/alerts/"+fp.id+"/resolve", bob, body, &res); code != 200 {
		t.Fatalf("resolve: status %d", code)
	}
	if want := responder.ActionID(fp.id, "contain-builder", "soar"); len(res.Denied) != 1 || res.Denied[0] != want {
		t.Errorf("denied = %v, want [%s]", res.Denied, want)
	}
	data, err := os.ReadFile(res.ExceptionFile)
	if err != nil {
		t.Fatalf("exception proposal: %v (%+v)", err, res)
	}
	if filepath.Dir(filepath.Dir(res.ExceptionFile)) != cfg.ExceptionsDir {
		t.Errorf("exception file %s is not under %s", res.ExceptionFile, cfg.ExceptionsDir)
	}
	for _, want := range []string{
		"NOT APPLIED", `rule: "aitdr-builder-weights-after-hours"`, `reason: "scheduled retraining job"`,
		`identity.id: ["aws:123456789012:role/bedrock-support-agent"]`, `# network.source_ip: ["203.0.113.7"]`, "expires: ",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("exception proposal lacks %q:\n%s", want, data)
		}
	}
	if code := call(t, "POST", api.URL+"/v1/alerts/"+approve.id+"/ack", alice, `{"disposition": "maybe"}`, nil); code != http.StatusBadRequest {
		t.Errorf("bad disposition: status %d, want 400", code)
	}
	if code := call(t, "POST", api.URL+"/v1/alerts/"+approve.id+"/ack", alice, `{"disposition": "true_positive"}`, &res); code != 200 {
		t.Errorf("ack: status %d", code)
	}
	rows := queryRows(t, conn, "SELECT alert_id, disposition, analyst FROM "+db+".alert_dispositions FINAL ORDER BY alert_id")
	want := map[string]string{approve.id: "true_positive alice", fp.id: "false_positive bob"}
	if len(rows) != 2 || want[rows[0][0]] != rows[0][1]+" "+rows[0][2] || want[rows[1][0]] != rows[1][1]+" "+rows[1][2] {
		t.Errorf("alert_dispositions = %v", rows)
	}
	var status responder.Status
	if code := call(t, "GET", api.URL+"/v1/respond/status?recent=3", alice, "", &status); code != 200 {
		t.Fatalf("status: %d", code)
	}
	if len(status.Recent) != 3 || len(status.Pending) != 0 || status.Counts[responder.StatusDenied] != 1 {
		t.Errorf("status = pending %d, recent %d, counts %v", len(status.Pending), len(status.Recent), status.Counts)
	}
}

// Without ClickHouse the responder runs, and dispositions say they need it.
func TestDispositionsNeedClickHouse(t *testing.T) {
	url := natsServer(t)
	st := storeOf(t, url)
	d := responder.NewDispositions(st, nil, t.TempDir(), nil)
	_, err := d.Record(context.Background(), responder.Disposition{AlertID: "x", Verdict: "benign", Analyst: "sam"})
	if !errors.Is(err, responder.ErrNoAudit) {
		t.Errorf("err = %v, want ErrNoAudit", err)
	}
	_, err = d.Record(context.Background(), responder.Disposition{AlertID: "x", Verdict: "nah", Analyst: "sam"})
	if !errors.Is(err, responder.ErrInvalidDisposition) {
		t.Errorf("err = %v, want ErrInvalidDisposition", err)
	}
}

// A playbook file made invalid is rejected at reload with file:line:col
// and the previous set keeps running; a valid change is picked up by the
// file watcher.
func TestReloadKeepsPreviousSet(t *testing.T) {
	url := natsServer(t)
	rc := newReceiver(t)
	_, js := connect(t, url)
	dir := t.TempDir()
	file := filepath.Join(dir, "playbooks.yaml")
	good, err := os.ReadFile("testdata/playbooks/e2e.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, good, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(rc)
	cfg.Playbooks = []string{dir}
	run := start(t, url, cfg)

	bad := strings.Replace(string(good), "action: webhook", "action: nuke", 1)
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run.r.Reload()
	if err == nil || !strings.Contains(err.Error(), file+`:9:17: action "nuke" is not one of`) {
		t.Fatalf("reload of a bad file: %v", err)
	}
	if pb, ok := run.r.Playbooks().Lookup("contain-agent"); !ok || pb.Steps[0].Action != responder.ActionWebhook {
		t.Fatalf("the previous set is gone: %+v", pb)
	}
	s := live(t, spec{}, time.Second)
	rc.expect(s.id)
	publish(t, js, s, "")
	eventually(t, "the alert handled by the previous set", func() bool { return len(rc.requests(responder.ActionWebhook)) == 1 })

	changed := strings.Replace(string(good), "playbook: isolate-agent", "playbook: isolate-agent-v2", 1)
	if err := os.WriteFile(file, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the watcher to load the fixed file", func() bool {
		pb, ok := run.r.Playbooks().Lookup("contain-agent")
		return ok && pb.Steps[0].Params["playbook"] == "isolate-agent-v2"
	})
	s2 := live(t, spec{}, time.Second)
	rc.expect(s2.id)
	publish(t, js, s2, "")
	eventually(t, "the alert handled by the new set", func() bool {
		reqs := rc.requests(responder.ActionWebhook)
		return len(reqs) == 2 && reqs[1].Params["playbook"] == "isolate-agent-v2"
	})
}
