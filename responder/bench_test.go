package responder_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// benchAlerts is a mix of alerts over every class, severity and default
// playbook.
func benchAlerts(b *testing.B) [][]byte {
	var out [][]byte
	classes := []schemas.IdentityClass{schemas.ClassAIAgent, schemas.ClassAIBuilder, schemas.ClassAIUser, schemas.ClassService, schemas.ClassHuman}
	sevs := []ocsf.SeverityID{ocsf.SeverityLow, ocsf.SeverityMedium, ocsf.SeverityHigh, ocsf.SeverityCritical}
	tags := [][]string{nil, {"llmjacking"}, {"credential_exposure"}, {"privilege_escalation"}}
	for i := range 64 {
		out = append(out, alertJSON(b, spec{
			id: fmt.Sprintf("bench-%d", i), class: classes[i%len(classes)], severity: sevs[i%len(sevs)], tags: tags[i%len(tags)],
			identity: fmt.Sprintf("aws:1234567890%02d:role/agent-%d", i%7, i), env: "prod",
		}))
	}
	return out
}

func benchPlanner(b *testing.B) *responder.Planner {
	set, err := responder.LoadPlaybooks(nil, true)
	if err != nil {
		b.Fatal(err)
	}
	policy, err := responder.ParsePolicy(responder.DefaultConfig().EffectivePolicy())
	if err != nil {
		b.Fatal(err)
	}
	protected, err := responder.NewProtected([]string{"aws:*:role/breakglass-*", "email:*@soc.acme.example"})
	if err != nil {
		b.Fatal(err)
	}
	reg, err := responder.NewRegistry(nil)
	if err != nil {
		b.Fatal(err)
	}
	return &responder.Planner{Playbooks: set, Policy: policy, Protected: protected, Registry: reg,
		MaxAlertAge: 24 * time.Hour, NotifyConnector: "feed", StepTimeout: 30 * time.Second, StepRetries: 3}
}

// BenchmarkPlan is playbook selection and the guardrail decisions of every
// step on the default set, for alerts already decoded.
func BenchmarkPlan(b *testing.B) {
	p := benchPlanner(b)
	var alerts []*responder.Alert
	for _, data := range benchAlerts(b) {
		a, err := responder.ParseAlert(data)
		if err != nil {
			b.Fatal(err)
		}
		alerts = append(alerts, a)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if rec := p.Plan(alerts[i%len(alerts)], testNow); rec.Playbook == "" {
			b.Fatal("no playbook")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkParseAndPlan adds decoding the alert JSON as published.
func BenchmarkParseAndPlan(b *testing.B) {
	p := benchPlanner(b)
	alerts := benchAlerts(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		a, err := responder.ParseAlert(alerts[i%len(alerts)])
		if err != nil {
			b.Fatal(err)
		}
		if rec := p.Plan(a, testNow); rec.Playbook == "" {
			b.Fatal("no playbook")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "alerts/s")
}

// BenchmarkAlertToAction publishes alerts on the real NATS server at a
// steady rate and measures, per alert, the time from the alert reaching
// the stream to its first containment step's completion, minus the time
// spent in the provider's API (the webhook call): the responder's own
// latency. Reported: p50 and p99 in milliseconds (target p99 < 2000).
// The audit to ClickHouse runs beside, off the alert's path (the
// "+clickhouse" runs).
func BenchmarkAlertToAction(b *testing.B) {
	for _, rate := range []int{50, 200} {
		for _, audit := range []bool{false, true} {
			name := fmt.Sprintf("rate=%d/s", rate)
			if audit {
				name += "+clickhouse"
			}
			b.Run(name, func(b *testing.B) { benchAlertToAction(b, rate, audit) })
		}
	}
}

func benchAlertToAction(b *testing.B, rate int, audit bool) {
	url := natsServer(b)
	rc := newReceiver(b)
	_, js := connect(b, url)
	cfg := testConfig(rc)
	cfg.Workers = 4
	cfg.Limits = responder.Limits{Window: time.Minute}
	cfg.AckWait = 30 * time.Second
	var opts []responder.Option
	if audit {
		conn, db := clickhouseDB(b)
		opts = append(opts, responder.WithAudit(responder.NewClickHouseAudit(conn, db)))
	}
	start(b, url, cfg, opts...)
	st := storeOf(b, url)
	ids := make([]string, b.N)
	b.ResetTimer()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := range b.N {
		<-tick.C
		ids[i] = fmt.Sprintf("%s-%d", randomID(b)[:8], i)
		publish(b, js, spec{id: ids[i], identity: fmt.Sprintf("aws:123456789012:role/agent-%d", i), created: time.Now()}, "")
	}
	var lat, total []time.Duration
	for _, id := range ids {
		var a *responder.Action
		eventually(b, "alert "+id+" to be acted on", func() bool {
			a = actionOf(b, st, id, "soar")
			return a != nil && a.Status == responder.StatusSucceeded
		})
		total = append(total, a.CompletedAt.Sub(a.AlertPublishedAt))
		lat = append(lat, a.CompletedAt.Sub(a.AlertPublishedAt)-a.ProviderTime)
	}
	b.StopTimer()
	if n := len(rc.requests(responder.ActionWebhook)); n != b.N {
		b.Fatalf("%d containment steps for %d alerts", n, b.N)
	}
	q := func(ds []time.Duration, p float64) float64 {
		s := slices.Clone(ds)
		slices.Sort(s)
		return float64(s[min(int(p*float64(len(s))), len(s)-1)]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(lat, 0.50), "p50-ms")
	b.ReportMetric(q(lat, 0.99), "p99-ms")
	b.ReportMetric(q(total, 0.99), "p99-with-provider-ms")
	b.ReportMetric(0, "ns/op")
}
