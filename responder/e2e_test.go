package responder_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// live returns s as a fresh alert with a unique id whose first evidence
// event was age ago.
func live(t testing.TB, s spec, age time.Duration) spec {
	t.Helper()
	if s.id == "" {
		s.id = randomID(t)
	}
	s.created = time.Now().UTC()
	s.evidenceAt = s.created.Add(-age)
	return s
}

func actionOf(t testing.TB, st *responder.Store, alertID, step string) *responder.Action {
	t.Helper()
	playbook := "contain-agent"
	if rec, err := st.Alert(context.Background(), alertID); err == nil && rec.Playbook != "" {
		playbook = rec.Playbook
	}
	a, err := st.Action(context.Background(), responder.ActionID(alertID, playbook, step))
	if err != nil {
		return nil
	}
	return a
}

// An alert published on the alert stream runs its playbook: the webhook
// step reaches the SOAR, signed, with the alert; the audit row lands in
// ClickHouse; the outcome is published on aitdr.actions.succeeded; and the
// time to respond from the first evidence event is stored.
func TestEndToEnd(t *testing.T) {
	url := natsServer(t)
	conn, db := clickhouseDB(t)
	rc := newReceiver(t)
	_, js := connect(t, url)
	feed := subscribeActions(t, js)
	start(t, url, testConfig(rc), responder.WithAudit(responder.NewClickHouseAudit(conn, db)))

	s := live(t, spec{}, 3*time.Second)
	rc.expect(s.id)
	publish(t, js, s, "")

	eventually(t, "the SOAR to receive the step", func() bool { return len(rc.requests(responder.ActionWebhook)) == 1 })
	p := rc.requests(responder.ActionWebhook)[0]
	if p.AlertID != s.id || p.Principal.ID != "aws:123456789012:role/bedrock-support-agent" || p.Principal.NativeID != "role/bedrock-support-agent" ||
		p.Params["playbook"] != "isolate-agent" || !strings.Contains(string(p.Alert), s.id) {
		t.Errorf("payload = %+v", p)
	}
	actionID := responder.ActionID(s.id, "contain-agent", "soar")
	if p.ActionID != actionID {
		t.Errorf("action id %s, want %s", p.ActionID, actionID)
	}
	eventually(t, "the audit row in ClickHouse", func() bool {
		rows := queryRows(t, conn, "SELECT status, connector, action, identity_id, toString(dry_run) FROM "+db+".response_actions FINAL WHERE action_id = ?", actionID)
		return len(rows) == 1 && rows[0][0] == "succeeded"
	})
	rows := queryRows(t, conn, "SELECT status, connector, action, identity_id, toString(dry_run) FROM "+db+".response_actions FINAL WHERE action_id = ?", actionID)
	if got := strings.Join(rows[0], " "); got != "succeeded webhook webhook aws:123456789012:role/bedrock-support-agent false" {
		t.Errorf("audit row = %s", got)
	}
	if n := queryRows(t, conn, "SELECT toString(count()) FROM "+db+".response_actions WHERE alert_id = ?", s.id)[0][0]; n != "4" {
		t.Errorf("%s row versions for the alert, want 4 (planned and succeeded for each step)", n)
	}
	eventually(t, "aitdr.actions.succeeded", func() bool { return len(feed.of("aitdr.actions.succeeded", s.id)) == 2 })
	if got := feed.of("aitdr.actions.planned", s.id); len(got) != 2 || got[0].Status != responder.StatusPlanned || len(got[0].Changes) != 0 {
		t.Errorf("aitdr.actions.planned = %+v", got)
	}
	for _, a := range feed.of("aitdr.actions.succeeded", s.id) {
		if a.Step == "soar" && (len(a.Changes) != 1 || !strings.HasSuffix(a.Changes[0], ": 200") || a.Undo == nil) {
			t.Errorf("succeeded soar step = %+v", a)
		}
	}
	eventually(t, "the time to respond in ClickHouse", func() bool {
		return len(queryRows(t, conn, "SELECT alert_id FROM "+db+".response_times FINAL WHERE alert_id = ?", s.id)) == 1
	})
	ttr := queryRows(t, conn, "SELECT toString(time_to_respond_ms), playbook, identity_class, severity, toString(dry_run), toString(actions) FROM "+db+".response_times FINAL WHERE alert_id = ?", s.id)[0]
	ms, _ := strconv.Atoi(ttr[0])
	if ms < 3000 || ms > 15000 || strings.Join(ttr[1:], " ") != "contain-agent ai_agent high false 1" {
		t.Errorf("response_times row = %v: want 3s to 15s from the first evidence, contain-agent ai_agent high false 1", ttr)
	}
	st := storeOf(t, url)
	status, err := st.Status(context.Background(), 10, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if status.TimeToRespond.Alerts != 1 || status.TimeToRespond.P50 < 3*time.Second || status.Counts[responder.StatusSucceeded] != 2 {
		t.Errorf("status = %+v", status)
	}
}

// An alert delivered twice (published again outside the stream's
// deduplication, and again inside it) acts once.
func TestDuplicateAlertActsOnce(t *testing.T) {
	url := natsServer(t)
	rc := newReceiver(t)
	_, js := connect(t, url)
	cfg := testConfig(rc)
	start(t, url, cfg)
	s := live(t, spec{}, time.Second)
	rc.expect(s.id)
	publish(t, js, s, "")
	publish(t, js, s, "")             // deduplicated by the stream
	publish(t, js, s, "replay-"+s.id) // stored again: a second delivery
	waitIdle(t, js, cfg.Consumer)
	st := storeOf(t, url)
	eventually(t, "the step to succeed", func() bool {
		a := actionOf(t, st, s.id, "soar")
		return a != nil && a.Status == responder.StatusSucceeded
	})
	if n := len(rc.requests(responder.ActionWebhook)); n != 1 {
		t.Errorf("the SOAR received %d containment steps, want 1", n)
	}
	if n := len(rc.requests(responder.ActionNotify)); n != 1 {
		t.Errorf("the SOAR received %d notifications, want 1", n)
	}
	if a := actionOf(t, st, s.id, "soar"); a.Attempts != 1 {
		t.Errorf("attempts = %d, want 1", a.Attempts)
	}
}

// A responder that dies after the connector ran and the outcome was
// recorded, but before it acknowledged the alert, gets the alert
// redelivered to its successor, which acts on nothing.
func TestCrashBeforeAckDoesNotActTwice(t *testing.T) {
	url := natsServer(t)
	rc := newReceiver(t)
	_, js := connect(t, url)
	cfg := testConfig(rc)
	first := start(t, url, cfg)
	crashed := make(chan struct{})
	responder.SetBeforeAck(first.r, func(string) {
		first.nc.Close() // the process is gone: no acknowledgement reaches the server
		close(crashed)
	})
	s := live(t, spec{}, time.Second)
	rc.expect(s.id)
	publish(t, js, s, "")
	select {
	case <-crashed:
	case <-time.After(20 * time.Second):
		t.Fatal("the responder never reached the acknowledgement")
	}
	first.stop(t, false)
	if n := len(rc.requests(responder.ActionWebhook)); n != 1 {
		t.Fatalf("%d containment requests before the crash, want 1", n)
	}

	start(t, url, cfg)
	waitIdle(t, js, cfg.Consumer)
	c, err := js.Consumer(context.Background(), schemas.StreamAlerts, cfg.Consumer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.NumRedelivered == 0 && info.Delivered.Consumer < 2 {
		t.Errorf("the alert was not delivered again: %+v", info.Delivered)
	}
	if n := len(rc.requests(responder.ActionWebhook)); n != 1 {
		t.Errorf("%d containment requests after the restart, want still 1", n)
	}
	if n := len(rc.requests(responder.ActionNotify)); n != 1 {
		t.Errorf("%d notifications after the restart, want still 1", n)
	}
}

// A responder that dies inside the connector call (the provider acted, the
// outcome was never recorded) leaves the step claimed under a lease; once
// it runs out, the successor repeats the call with the same idempotency
// key, so the SOAR acts once.
func TestCrashInsideConnectorRepeatsWithSameKey(t *testing.T) {
	url := natsServer(t)
	rc := newReceiver(t)
	_, js := connect(t, url)
	cfg := testConfig(rc)
	cfg.Step.Timeout, cfg.Step.Retries = 500*time.Millisecond, 0
	first := start(t, url, cfg)
	rc.onFirst = func() { first.nc.Close() }
	s := live(t, spec{}, time.Second)
	rc.expect(s.id)
	publish(t, js, s, "")
	eventually(t, "the first call", func() bool { return len(rc.requests(responder.ActionWebhook)) == 1 })
	first.stop(t, false)

	st := storeOf(t, url)
	if a := actionOf(t, st, s.id, "soar"); a == nil || a.Status != responder.StatusRunning {
		t.Fatalf("after the crash the step is %+v, want running (in doubt)", a)
	}
	start(t, url, cfg)
	eventually(t, "the step to succeed", func() bool {
		a := actionOf(t, st, s.id, "soar")
		return a != nil && a.Status == responder.StatusSucceeded
	})
	reqs := rc.requests(responder.ActionWebhook)
	if len(reqs) != 2 || reqs[0].ActionID != reqs[1].ActionID {
		t.Errorf("requests = %+v, want the in-doubt step repeated once with the same action id", reqs)
	}
	if n := rc.distinctKeys(); n != 1 {
		t.Errorf("the SOAR acted on %d idempotency keys, want 1", n)
	}
}

// Containment of a builder on a medium alert waits for approval; approved,
// it runs and the approver is recorded; denied, it never runs.
func TestApprovalWorkflow(t *testing.T) {
	url := natsServer(t)
	rc := newReceiver(t)
	_, js := connect(t, url)
	feed := subscribeActions(t, js)
	start(t, url, testConfig(rc))
	st := storeOf(t, url)
	ctx := context.Background()

	approve := live(t, spec{class: schemas.ClassAIBuilder, severity: ocsf.SeverityMedium}, time.Second)
	deny := live(t, spec{class: schemas.ClassAIBuilder, severity: ocsf.SeverityMedium}, time.Second)
	rc.expect(approve.id, deny.id)
	publish(t, js, approve, "")
	publish(t, js, deny, "")
	eventually(t, "two pending actions", func() bool {
		p, err := st.Pending(ctx)
		return err == nil && len(p) == 2
	})
	eventually(t, "the notifications", func() bool { return len(rc.requests(responder.ActionNotify)) == 2 })
	if n := len(rc.requests(responder.ActionWebhook)); n != 0 {
		t.Fatalf("%d containment steps ran before approval", n)
	}
	eventually(t, "aitdr.actions.pending", func() bool { return len(feed.of("aitdr.actions.pending", approve.id)) == 1 })
	if got := feed.of("aitdr.actions.pending", approve.id)[0].Reason; !strings.Contains(got, "ai_builder") {
		t.Errorf("pending reason = %q", got)
	}

	approved, err := st.Approve(ctx, approve.id, "alice", "owner confirmed the change was not theirs")
	if err != nil || len(approved) != 1 || approved[0].Status != responder.StatusApproved {
		t.Fatalf("approve: %v %+v", err, approved)
	}
	eventually(t, "the approved step to run", func() bool { return len(rc.requests(responder.ActionWebhook)) == 1 })
	eventually(t, "the approved step to succeed", func() bool {
		a := actionOf(t, st, approve.id, "soar")
		return a.Status == responder.StatusSucceeded && a.Approver == "alice"
	})
	eventually(t, "the alert contained", func() bool {
		rec, err := st.Alert(ctx, approve.id)
		return err == nil && rec.Contained && rec.ContainmentApproved
	})

	denied, err := st.Deny(ctx, responder.ActionID(deny.id, "contain-builder", "soar"), "bob", "known maintenance")
	if err != nil || len(denied) != 1 {
		t.Fatalf("deny: %v %+v", err, denied)
	}
	eventually(t, "aitdr.actions.denied", func() bool { return len(feed.of("aitdr.actions.denied", deny.id)) == 1 })
	if _, err := st.Approve(ctx, denied[0].ID, "alice", ""); !errors.Is(err, responder.ErrConflict) {
		t.Errorf("approving a denied action: %v, want ErrConflict", err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(rc.requests(responder.ActionWebhook)); n != 1 {
		t.Errorf("%d containment steps ran, want only the approved one", n)
	}
}

// A succeeded step whose connector returned a rollback can be rolled back:
// the rollback runs, the step is marked rolled back, asking again returns
// the same rollback.
func TestRollback(t *testing.T) {
	url := natsServer(t)
	rc := newReceiver(t)
	_, js := connect(t, url)
	feed := subscribeActions(t, js)
	start(t, url, testConfig(rc))
	st := storeOf(t, url)
	ctx := context.Background()
	s := live(t, spec{}, time.Second)
	rc.expect(s.id)
	publish(t, js, s, "")
	id := responder.ActionID(s.id, "contain-agent", "soar")
	eventually(t, "the step to succeed", func() bool {
		a := actionOf(t, st, s.id, "soar")
		return a != nil && a.Status == responder.StatusSucceeded
	})
	if _, err := st.RequestRollback(ctx, responder.ActionID(s.id, "contain-agent", "notify"), "alice", ""); !errors.Is(err, responder.ErrConflict) {
		t.Errorf("rollback of a notification: %v, want ErrConflict (no rollback offered)", err)
	}
	rb, err := st.RequestRollback(ctx, id, "alice", "false positive")
	if err != nil {
		t.Fatal(err)
	}
	if rb.RollbackOf != id || rb.Status != responder.StatusApproved {
		t.Fatalf("rollback = %+v", rb)
	}
	eventually(t, "the rollback to run", func() bool {
		reqs := rc.requests(responder.ActionWebhook)
		return len(reqs) == 2 && reqs[1].Rollback && reqs[1].ActionID == rb.ID
	})
	eventually(t, "the step rolled back", func() bool {
		a, err := st.Action(ctx, id)
		return err == nil && a.Status == responder.StatusRolledBack && a.RolledBackBy == rb.ID
	})
	again, err := st.RequestRollback(ctx, id, "bob", "")
	if err != nil || again.ID != rb.ID {
		t.Errorf("second rollback: %v, %+v", err, again)
	}
	eventually(t, "aitdr.actions.rolled_back", func() bool { return len(feed.of("aitdr.actions.rolled_back", s.id)) == 1 })
}

// Over the blast-radius limit, a step that would run waits for approval.
func TestBlastRadiusLimitMakesStepsWait(t *testing.T) {
	url := natsServer(t)
	rc := newReceiver(t)
	_, js := connect(t, url)
	cfg := testConfig(rc)
	cfg.Workers = 1
	cfg.Limits = responder.Limits{Window: time.Minute, PerIdentity: 1}
	start(t, url, cfg)
	st := storeOf(t, url)
	first, second := live(t, spec{}, time.Second), live(t, spec{}, time.Second)
	rc.expect(first.id, second.id)
	publish(t, js, first, "")
	eventually(t, "the first alert's step", func() bool {
		a := actionOf(t, st, first.id, "soar")
		return a != nil && a.Status == responder.StatusSucceeded
	})
	publish(t, js, second, "")
	eventually(t, "the second alert's step to wait", func() bool {
		a := actionOf(t, st, second.id, "soar")
		return a != nil && a.Status == responder.StatusPending
	})
	a := actionOf(t, st, second.id, "soar")
	if want := "blast radius: 1 containment steps on aws:123456789012:role/bedrock-support-agent in the last 1m0s, the limit per identity"; a.Reason != want {
		t.Errorf("reason = %q, want %q", a.Reason, want)
	}
	if n := len(rc.requests(responder.ActionWebhook)); n != 1 {
		t.Errorf("%d containment steps ran, want 1", n)
	}
}

// An alert whose identity cannot be resolved is escalated: containment
// waits for a human, the SOC is notified.
func TestUnknownIdentityIsEscalated(t *testing.T) {
	url := natsServer(t)
	rc := newReceiver(t)
	_, js := connect(t, url)
	feed := subscribeActions(t, js)
	start(t, url, testConfig(rc))
	s := live(t, spec{identity: "bedrock-agent"}, time.Second)
	rc.expect(s.id)
	publish(t, js, s, "")
	eventually(t, "the escalation", func() bool {
		return len(feed.of("aitdr.actions.pending", s.id)) == 1 && len(rc.requests(responder.ActionNotify)) == 1
	})
	if got := feed.of("aitdr.actions.pending", s.id)[0].Reason; !strings.HasPrefix(got, "unknown identity, escalated to a human") {
		t.Errorf("reason = %q", got)
	}
	if n := len(rc.requests(responder.ActionWebhook)); n != 0 {
		t.Errorf("%d containment steps ran on an unknown identity", n)
	}
}

// Retryable provider errors are retried with backoff; a permanent one
// fails the step with the provider's code, and the alert is not contained.
func TestRetriesAndFailures(t *testing.T) {
	url := natsServer(t)
	rc := newReceiver(t)
	rc.answer(503, 502)
	_, js := connect(t, url)
	feed := subscribeActions(t, js)
	cfg := testConfig(rc)
	cfg.Workers = 1
	start(t, url, cfg)
	st := storeOf(t, url)
	retried := live(t, spec{}, time.Second)
	rc.expect(retried.id)
	publish(t, js, retried, "")
	eventually(t, "the step to succeed after two retries", func() bool {
		a := actionOf(t, st, retried.id, "soar")
		return a != nil && a.Status == responder.StatusSucceeded
	})
	if a := actionOf(t, st, retried.id, "soar"); a.Attempts != 3 {
		t.Errorf("attempts = %d, want 3", a.Attempts)
	}

	eventually(t, "the notification", func() bool { return len(rc.requests(responder.ActionNotify)) == 1 })
	rc.answer(403)
	refused := live(t, spec{}, time.Second)
	rc.expect(refused.id)
	publish(t, js, refused, "")
	eventually(t, "the refused step to fail", func() bool {
		a := actionOf(t, st, refused.id, "soar")
		return a != nil && a.Status == responder.StatusFailed
	})
	a := actionOf(t, st, refused.id, "soar")
	if a.ErrorCode != "Forbidden" || a.Attempts != 1 || !strings.Contains(a.Error, "HTTP 403") {
		t.Errorf("failed step = code %q, attempts %d, error %q", a.ErrorCode, a.Attempts, a.Error)
	}
	eventually(t, "aitdr.actions.failed", func() bool { return len(feed.of("aitdr.actions.failed", refused.id)) == 1 })
	rec, err := st.Alert(context.Background(), refused.id)
	if err != nil || rec.Contained {
		t.Errorf("an alert with a failed step is contained: %v %+v", err, rec)
	}
}

// In dry run, containment steps report what they would do and send
// nothing; notifications go out; the audit says dry run.
func TestDryRun(t *testing.T) {
	url := natsServer(t)
	conn, db := clickhouseDB(t)
	rc := newReceiver(t)
	_, js := connect(t, url)
	cfg := testConfig(rc)
	cfg.DryRun = true
	start(t, url, cfg, responder.WithAudit(responder.NewClickHouseAudit(conn, db)))
	s := live(t, spec{}, time.Second)
	rc.expect(s.id)
	publish(t, js, s, "")
	id := responder.ActionID(s.id, "contain-agent", "soar")
	eventually(t, "the dry-run audit row", func() bool {
		rows := queryRows(t, conn, "SELECT status, toString(dry_run) FROM "+db+".response_actions FINAL WHERE action_id = ?", id)
		return len(rows) == 1 && rows[0][0] == "succeeded" && rows[0][1] == "true"
	})
	eventually(t, "the notification", func() bool { return len(rc.requests(responder.ActionNotify)) == 1 })
	if n := len(rc.requests(responder.ActionWebhook)); n != 0 {
		t.Errorf("a dry run sent %d containment steps", n)
	}
	a := actionOf(t, storeOf(t, url), s.id, "soar")
	if len(a.Changes) != 1 || !strings.HasPrefix(a.Changes[0], "would POST") {
		t.Errorf("changes = %q", a.Changes)
	}
}

// An alert that cannot be read is terminated and kept on
// aitdr.actions.rejected with the reason; the responder goes on.
func TestBadAlertIsRejected(t *testing.T) {
	url := natsServer(t)
	rc := newReceiver(t)
	_, js := connect(t, url)
	feed := subscribeActions(t, js)
	cfg := testConfig(rc)
	start(t, url, cfg)
	if _, err := js.Publish(context.Background(), "aitdr.alerts.high.ai_agent", []byte(`{"finding_info": "nope"`)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the rejection", func() bool { return len(feed.raw("aitdr.actions.rejected")) == 1 })
	var rej struct {
		Subject, Reason, Raw string
	}
	if err := json.Unmarshal(feed.raw("aitdr.actions.rejected")[0], &rej); err != nil {
		t.Fatal(err)
	}
	if rej.Subject != "aitdr.alerts.high.ai_agent" || !strings.HasPrefix(rej.Reason, "decode alert") || rej.Raw != `{"finding_info": "nope"` {
		t.Errorf("rejection = %+v", rej)
	}
	s := live(t, spec{}, time.Second)
	rc.expect(s.id)
	publish(t, js, s, "")
	eventually(t, "the next alert handled", func() bool { return len(rc.requests(responder.ActionWebhook)) == 1 })
}
