package feed

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/secret"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// collector is an httptest endpoint that records requests and answers
// from a script of (status, header, body), the last repeating.
type collector struct {
	srv     *httptest.Server
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	answers []answer
}

type answer struct {
	status int
	header map[string]string
	body   string
}

func newCollector(t *testing.T, answers ...answer) *collector {
	c := &collector{answers: answers}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.bodies = append(c.bodies, b)
		c.headers = append(c.headers, r.Header.Clone())
		a := c.answers[min(len(c.bodies), len(c.answers))-1]
		c.mu.Unlock()
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *collector) requests() ([][]byte, []http.Header) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.bodies...), append([]http.Header(nil), c.headers...)
}

// runFeed starts f.Run and returns a stop function that waits for it.
func runFeed(t *testing.T, f *Feed) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// eventually waits up to 5 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func alertWithID(t *testing.T, id string, sev ocsf.SeverityID) *ocsf.DetectionFinding {
	a := goldenAlert(t)
	a.FindingInfo.UID = id
	a.SetSeverity(sev)
	return a
}

// fast is a delivery with quick retries for tests.
func fast(d Delivery) Delivery {
	d.Backoff, d.MaxBackoff, d.Timeout = 10*time.Millisecond, 50*time.Millisecond, 2*time.Second
	return d
}

// TestHEC shows the event collector output sends batches of events with
// the token header, each event the message with its metadata; a busy
// collector (503 with Retry-After) is retried; a refusal of the data
// (400) spills the batch at once.
func TestHEC(t *testing.T) {
	c := newCollector(t,
		answer{503, map[string]string{"Retry-After": "1"}, `{"text":"Server is busy","code":9}`},
		answer{200, nil, `{"text":"Success","code":0}`})
	cfg := Config{SpillDir: t.TempDir(), HEC: []HECConfig{{
		Delivery: fast(Delivery{}), URL: c.srv.URL + "/services/collector/event", Token: secret.Secret{Value: "11111111-2222-3333-4444-555555555555"},
		Index: "security", BatchSize: 2, FlushInterval: 200 * time.Millisecond,
	}}}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range []string{"a1", "a2", "a3"} {
		if err := f.Publish(ctx, NewMessage(alertWithID(t, id, ocsf.SeverityHigh))); err != nil {
			t.Fatal(err)
		}
	}
	stop := runFeed(t, f)
	eventually(t, "3 delivered", func() bool { return f.Stats("hec").Delivered == 3 })
	stop()
	bodies, headers := c.requests()
	if len(bodies) != 3 { // the refused first batch, its retry, and the last message
		t.Errorf("%d requests, want 3", len(bodies))
	}
	var ids []string
	for i, b := range bodies[1:] {
		if got := headers[i+1].Get("Authorization"); got != "Splunk 11111111-2222-3333-4444-555555555555" {
			t.Errorf("authorization %q", got)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var ev struct {
				Time       float64 `json:"time"`
				Source     string  `json:"source"`
				SourceType string  `json:"sourcetype"`
				Index      string  `json:"index"`
				Event      Message `json:"event"`
			}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Fatalf("event %s: %v", sc.Bytes(), err)
			}
			if ev.Source != "aitdr" || ev.SourceType != "aitdr:alert" || ev.Index != "security" || ev.Time != 1741944521.25 ||
				ev.Event.Alert == nil || ev.Event.Alert.Unmapped.AITDR.Identity.Class != "ai_agent" {
				t.Errorf("event %+v", ev)
			}
			ids = append(ids, ev.Event.ID)
		}
	}
	if strings.Join(ids, ",") != "a1,a2,a3" {
		t.Errorf("delivered %v, want a1,a2,a3", ids)
	}

	bad := newCollector(t, answer{400, nil, `{"text":"Invalid data format","code":6,"invalid-event-number":0}`})
	cfg.HEC[0].URL = bad.srv.URL
	cfg.SpillDir = t.TempDir()
	f, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Publish(ctx, NewMessage(alertWithID(t, "b1", ocsf.SeverityHigh)))
	stop = runFeed(t, f)
	eventually(t, "spilled", func() bool { return f.Stats("hec").Spilled == 1 })
	stop()
	if b, _ := bad.requests(); len(b) != 1 {
		t.Errorf("a refused batch was sent %d times, want once", len(b))
	}
}

// TestChat shows the chat output posts Slack-compatible JSON: a text and
// blocks with the identity, class, owner, baseline, evidence, ATLAS,
// recommended containment and what was done, escaped for mrkdwn.
func TestChat(t *testing.T) {
	c := newCollector(t, answer{429, map[string]string{"Retry-After": "1"}, "rate_limited"}, answer{200, nil, "ok"})
	f, err := New(Config{SpillDir: t.TempDir(), Chat: []ChatConfig{{Delivery: fast(Delivery{}), URL: secret.Secret{Value: c.srv.URL + "/services/T0/B0/x"}}}})
	if err != nil {
		t.Fatal(err)
	}
	a := goldenAlert(t)
	a.FindingInfo.Title = "Agent <script> & tokens"
	_ = f.Publish(context.Background(), NewMessage(a, Action{ID: "s1", Kind: "revoke_sessions", Connector: "aws", Target: "aws:123456789012:role/bedrock-support-agent", Status: "succeeded"}))
	stop := runFeed(t, f)
	eventually(t, "delivered", func() bool { return f.Stats("chat").Delivered == 1 })
	stop()
	bodies, _ := c.requests()
	if len(bodies) != 2 {
		t.Fatalf("%d requests, want 2 (429 then 200)", len(bodies))
	}
	var p struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type   string `json:"type"`
			Text   *struct{ Type, Text string }
			Fields []struct{ Type, Text string }
		} `json:"blocks"`
	}
	if err := json.Unmarshal(bodies[1], &p); err != nil {
		t.Fatal(err)
	}
	all := string(bodies[1])
	for _, want := range []string{
		"*Identity*\\naws:123456789012:role/bedrock-support-agent", "*Class*\\nai_agent", "*Owner*\\npriya.natarajan@acme.example (support-automation)",
		"*ATLAS*\\nAML.T0034 Cost Harvesting", "tokens_ratio.5m observed 32310, baseline 2275 (14.2x)", "*Evidence*",
		"*Recommended containment*", "aws revoke_sessions aws:123456789012:role/bedrock-support-agent: succeeded",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("payload lacks %q:\n%s", want, all)
		}
	}
	if p.Blocks[0].Type != "header" || !strings.Contains(p.Text, "revoke_sessions succeeded") || strings.Contains(all, "<script>") {
		t.Errorf("text %q, first block %q; mrkdwn must be escaped", p.Text, p.Blocks[0].Type)
	}
}

// TestPaging shows the paging output triggers Events API v2 events with
// the alert id as dedup key for the alert and its actions, the severity
// mapped, and only from its min_severity (high by default) or a failed
// containment step.
func TestPaging(t *testing.T) {
	c := newCollector(t, answer{202, nil, `{"status":"success","message":"Event processed","dedup_key":"x"}`})
	f, err := New(Config{SpillDir: t.TempDir(), Paging: []PagingConfig{{Delivery: fast(Delivery{}), URL: c.srv.URL + "/v2/enqueue",
		RoutingKey: secret.Secret{Value: "R0UT1NGK3Y00000000000000000000AB"}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	low := alertWithID(t, "low-1", ocsf.SeverityLow)
	_ = f.Publish(ctx, NewMessage(low))                                                                                     // below high: not paged
	_ = f.Publish(ctx, NewMessage(low, Action{ID: "s1", Kind: "disable_account", Status: "failed", Error: "AccessDenied"})) // failed: paged
	_ = f.Publish(ctx, NewMessage(alertWithID(t, "crit-1", ocsf.SeverityCritical)))
	stop := runFeed(t, f)
	eventually(t, "2 delivered", func() bool { return f.Stats("paging").Delivered == 2 })
	stop()
	bodies, _ := c.requests()
	if len(bodies) != 2 {
		t.Fatalf("%d events, want 2", len(bodies))
	}
	var evs []pagingEvent
	for _, b := range bodies {
		var ev pagingEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	if evs[0].DedupKey != "low-1" || evs[0].Payload.Severity != "error" || !strings.Contains(evs[0].Payload.Summary, "disable_account failed") {
		t.Errorf("failed action event %+v", evs[0])
	}
	e := evs[1]
	if e.RoutingKey != "R0UT1NGK3Y00000000000000000000AB" || e.EventAction != "trigger" || e.DedupKey != "crit-1" ||
		e.Payload.Severity != "critical" || e.Payload.Source != "aws:123456789012:role/bedrock-support-agent" ||
		e.Payload.Component != "ai_agent" || e.Payload.Class != "aitdr.llmjacking.token_spike" ||
		e.Payload.CustomDetails["Owner"] != "priya.natarajan@acme.example (support-automation)" {
		t.Errorf("alert event %+v", e)
	}
}
