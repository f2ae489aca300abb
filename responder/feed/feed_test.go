package feed

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/aitdr/aitdr/internal/secret"
	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// chatFeed returns a feed with one chat output posting to c.
func chatFeed(t *testing.T, c *collector, dir string, d Delivery, opts ...Option) *Feed {
	t.Helper()
	f, err := New(Config{SpillDir: dir, ReplayInterval: 50 * time.Millisecond,
		Chat: []ChatConfig{{Delivery: fast(d), URL: secret.Secret{Value: c.srv.URL}}}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// chatIDs returns the message ids in the context blocks of the posts.
func chatIDs(t *testing.T, c *collector) []string {
	t.Helper()
	bodies, _ := c.requests()
	var ids []string
	for _, b := range bodies {
		var p struct {
			Blocks []struct {
				Type     string
				Elements []struct{ Text string }
			}
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		for _, bl := range p.Blocks {
			if bl.Type == "context" {
				f := strings.Fields(bl.Elements[0].Text)
				ids = append(ids, f[len(f)-1])
			}
		}
	}
	slices.Sort(ids)
	return ids
}

func publish(t *testing.T, f *Feed, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := f.Publish(context.Background(), NewMessage(alertWithID(t, id, ocsf.SeverityHigh))); err != nil {
			t.Fatal(err)
		}
	}
}

func spillFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.spill.jsonl*"))
	var nonEmpty []string
	for _, p := range m {
		if st, err := os.Stat(p); err == nil && st.Size() > 0 {
			nonEmpty = append(nonEmpty, p)
		}
	}
	return nonEmpty
}

// TestQueueFullSpillsAndReplays shows a message that finds its output's
// queue full is spilled, counted with reason queue_full, and delivered
// when the feed runs; the spill file is gone once all is delivered.
func TestQueueFullSpillsAndReplays(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	c := newCollector(t, answer{200, nil, "ok"})
	dir := t.TempDir()
	f := chatFeed(t, c, dir, Delivery{QueueSize: 2}, WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	publish(t, f, "m1", "m2", "m3", "m4", "m5")
	if st := f.Stats("chat"); st.Queued != 2 || st.Spilled != 3 {
		t.Fatalf("stats %+v, want 2 queued and 3 spilled", st)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if got := counter(rm, MetricSpilled, "queue_full"); got != 3 {
		t.Errorf("%s{reason=queue_full} = %d, want 3", MetricSpilled, got)
	}

	stop := runFeed(t, f)
	eventually(t, "5 delivered", func() bool { return f.Stats("chat").Delivered == 5 })
	eventually(t, "the spill file removed", func() bool { return len(spillFiles(t, dir)) == 0 })
	stop()
	if ids := chatIDs(t, c); strings.Join(ids, ",") != "m1,m2,m3,m4,m5" {
		t.Errorf("delivered %v", ids)
	}
	if st := f.Stats("chat"); st.Replayed != 3 || st.Dropped != 0 {
		t.Errorf("stats %+v, want 3 replayed, none dropped", st)
	}
}

// counter returns the sum of an Int64 counter's points with the reason.
func counter(rm metricdata.ResourceMetrics, name, reason string) int64 {
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
				if r, _ := p.Attributes.Value(attrReason); reason == "" || r.AsString() == reason {
					n += p.Value
				}
			}
		}
	}
	return n
}

// TestUndeliveredSurvivesRestart shows messages an unreachable output
// could not take are spilled at shutdown and delivered by the next start.
func TestUndeliveredSurvivesRestart(t *testing.T) {
	down := newCollector(t, answer{503, nil, "down"})
	dir := t.TempDir()
	f := chatFeed(t, down, dir, Delivery{MaxAttempts: 1000})
	publish(t, f, "r1", "r2", "r3")
	stop := runFeed(t, f)
	eventually(t, "a failed attempt", func() bool { return f.Stats("chat").FailedAttempts > 0 })
	stop()
	if st := f.Stats("chat"); st.Spilled != 3 || st.Delivered != 0 {
		t.Fatalf("stats %+v, want 3 spilled at shutdown", st)
	}

	up := newCollector(t, answer{200, nil, "ok"})
	f2 := chatFeed(t, up, dir, Delivery{})
	stop = runFeed(t, f2)
	eventually(t, "3 delivered after restart", func() bool { return f2.Stats("chat").Delivered == 3 })
	stop()
	if ids := chatIDs(t, up); strings.Join(ids, ",") != "r1,r2,r3" {
		t.Errorf("delivered %v", ids)
	}
	if files := spillFiles(t, dir); len(files) != 0 {
		t.Errorf("spill files left: %v", files)
	}
}

// TestRetriesThenReplay shows a message whose attempts run out is spilled
// with reason failed and delivered by a later replay once the output is
// back.
func TestRetriesThenReplay(t *testing.T) {
	c := newCollector(t, answer{500, nil, "boom"}, answer{500, nil, "boom"}, answer{200, nil, "ok"})
	f := chatFeed(t, c, t.TempDir(), Delivery{MaxAttempts: 2})
	publish(t, f, "x1")
	stop := runFeed(t, f)
	eventually(t, "delivered by replay", func() bool { return f.Stats("chat").Delivered == 1 })
	stop()
	if st := f.Stats("chat"); st.FailedAttempts != 2 || st.Spilled != 1 || st.Replayed != 1 {
		t.Errorf("stats %+v, want 2 failed attempts, 1 spilled, 1 replayed", st)
	}
}

// TestSpillBounded shows a full spill file drops the message, counts it,
// and tells the publisher.
func TestSpillBounded(t *testing.T) {
	c := newCollector(t, answer{200, nil, "ok"})
	f, err := New(Config{SpillDir: t.TempDir(), MaxSpillBytes: 100,
		Chat: []ChatConfig{{Delivery: Delivery{QueueSize: 1}, URL: secret.Secret{Value: c.srv.URL}}}})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, f, "q1")
	err = f.Publish(context.Background(), NewMessage(alertWithID(t, "q2", ocsf.SeverityHigh)))
	if !errors.Is(err, errSpillFull) {
		t.Errorf("publish error %v, want the spill file full", err)
	}
	if st := f.Stats("chat"); st.Dropped != 1 || st.Spilled != 0 {
		t.Errorf("stats %+v, want 1 dropped", st)
	}
}

// TestTornSpillLine shows a spill line that cannot be read (torn by a
// crash) is counted as dropped and the others are delivered.
func TestTornSpillLine(t *testing.T) {
	dir := t.TempDir()
	rec, _ := json.Marshal(spillRecord{Output: "chat", Reason: ReasonFailed, Message: NewMessage(alertWithID(t, "ok1", ocsf.SeverityHigh))})
	if err := os.WriteFile(filepath.Join(dir, "chat.spill.jsonl"), append(append(rec, '\n'), `{"output":"chat","mess`...), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCollector(t, answer{200, nil, "ok"})
	f := chatFeed(t, c, dir, Delivery{})
	stop := runFeed(t, f)
	eventually(t, "delivered", func() bool { return f.Stats("chat").Delivered == 1 })
	stop()
	if st := f.Stats("chat"); st.Dropped != 1 {
		t.Errorf("stats %+v, want the torn line dropped", st)
	}
}

// TestFilters shows min_severity and kinds choose what an output takes.
func TestFilters(t *testing.T) {
	a := alertWithID(t, "f1", ocsf.SeverityMedium)
	for _, tc := range []struct {
		d    Delivery
		m    Message
		want bool
	}{
		{Delivery{}, NewMessage(a), true},
		{Delivery{MinSeverity: "high"}, NewMessage(a), false},
		{Delivery{MinSeverity: "medium"}, NewMessage(a), true},
		{Delivery{MinSeverity: "high"}, NewMessage(a, Action{ID: "s", Kind: "disable_account", Status: "failed"}), true},
		{Delivery{MinSeverity: "high"}, NewMessage(a, Action{ID: "s", Kind: "disable_account", Status: "succeeded"}), false},
		{Delivery{Kinds: []Kind{KindAction}}, NewMessage(a), false},
		{Delivery{Kinds: []Kind{KindAction}}, NewMessage(a, Action{ID: "s", Status: "succeeded"}), true},
	} {
		if got := tc.d.takes(&tc.m); got != tc.want {
			t.Errorf("%+v takes %s %s: %v, want %v", tc.d, tc.m.Kind, tc.m.severity(), got, tc.want)
		}
	}
}

// TestConfigValidate shows every problem of a feed configuration is
// reported with its field path.
func TestConfigValidate(t *testing.T) {
	err := Config{
		Syslog: []SyslogConfig{{Network: "quic", Address: "siem", Framing: "newline", Facility: "local9", MaxMessageBytes: 100}},
		HEC:    []HECConfig{{URL: "splunk:8088", Delivery: Delivery{Name: "a/b", QueueSize: -1}}},
		Chat:   []ChatConfig{{Delivery: Delivery{MinSeverity: "urgent", Kinds: []Kind{"page"}}}},
		Email:  []EmailConfig{{Address: "mail.example:25", Security: "none", From: "not an address", Username: "u"}},
		Paging: []PagingConfig{{Delivery: Delivery{Name: "syslog"}}},
	}.Validate()
	for _, want := range []string{
		"spill_dir: must be set", "syslog[0].network:", "syslog[0].address:", "syslog[0].facility:", "syslog[0].max_message_bytes:",
		"hec[0].name:", "hec[0].queue_size:", "hec[0].url:", "hec[0].token:", "chat[0].min_severity:", "chat[0].kinds[0]:",
		"chat[0].url:", "email[0].security: none is only allowed for a loopback server", "email[0].from:", "email[0].to:",
		"email[0].username and password", "paging[0].routing_key:", `paging[0].name: "syslog" is also the name of syslog[0]`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("empty config: %v", err)
	}
}

// TestNotifier shows the notify connector publishes a notification with
// the alert, the reason and, to the owner, the owner's address.
func TestNotifier(t *testing.T) {
	c := newCollector(t, answer{200, nil, "ok"})
	f := chatFeed(t, c, t.TempDir(), Delivery{})
	a := goldenAlert(t)
	n := NewNotifier(f, func(_ context.Context, id string) (*ocsf.DetectionFinding, error) {
		if id != a.FindingInfo.UID {
			return nil, errors.New("unknown alert")
		}
		return a, nil
	})
	req := responder.Request{ActionID: "n1", AlertID: a.FindingInfo.UID, Kind: responder.ActionNotify,
		Principal: responder.Principal{ID: a.Unmapped.AITDR.Identity.ID},
		Params:    map[string]string{ParamTo: "owner", ParamReason: "approval needed: disable_account"}}
	res, err := n.Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 1 || !strings.Contains(res.Changes[0], "chat") {
		t.Errorf("changes %q", res.Changes)
	}
	stop := runFeed(t, f)
	eventually(t, "delivered", func() bool { return f.Stats("chat").Delivered == 1 })
	stop()
	bodies, _ := c.requests()
	if !strings.Contains(string(bodies[0]), "approval needed: disable_account") || !strings.Contains(string(bodies[0]), "*Class*\\nai_agent") {
		t.Errorf("notification %s", bodies[0])
	}
	for _, bad := range []responder.Request{
		{Kind: responder.ActionDisableAccount},
		{Kind: responder.ActionNotify, Rollback: true},
		{Kind: responder.ActionNotify, Params: map[string]string{ParamTo: "ceo"}},
		{Kind: responder.ActionNotify, AlertID: "unknown"},
	} {
		if _, err := n.Do(context.Background(), bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
