package enrich_test

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"

	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/enrich/directory"
	"github.com/aitdr/aitdr/enrich/inventory"
	"github.com/aitdr/aitdr/internal/stream"
	"github.com/aitdr/aitdr/schemas"
)

// benchIdentities is the size of the directory and of the identity
// population of the benchmarks.
const benchIdentities = 100_000

// benchTemplates are the golden events the benchmark events are made of:
// a mix of every source, AI and not.
var benchTemplates = []string{
	"okta/sso_chatgpt_enterprise", "okta/session_start_success", "entra/graph_signin_interactive_chatgpt",
	"entra/monitor_noninteractive_signin", "cloudtrail/bedrock_invoke_model", "cloudtrail/s3_get_object",
	"cloudtrail/sagemaker_create_training_job", "cloudtrail/iam_create_user", "gcpaudit/vertex_predict_impersonated",
	"gcpaudit/storage_object_get", "github/git_clone", "github/git_push_agent", "k8saudit/pytorchjob_create",
	"k8saudit/secret_get_service_account", "openai/usage_completions_row", "anthropic/usage_claude_code_user",
	"aigateway/litellm_payload_agent_key", "aigateway/litellm_spendlog_chat", "aigateway/generic_proxy_chat",
	"cloudtrail/bedrock_converse_inference_profile",
}

// benchDirectory is a directory of n people, each with a linked account.
func benchDirectory(b *testing.B, n int) *directory.Directory {
	b.Helper()
	people := make([]directory.Person, n)
	for i := range people {
		people[i] = directory.Person{
			Email:       fmt.Sprintf("user%06d@acme.example", i),
			UserName:    fmt.Sprintf("user%06d", i),
			DisplayName: fmt.Sprintf("User %d", i),
			Manager:     fmt.Sprintf("user%06d@acme.example", i/10),
			Team:        fmt.Sprintf("team-%d", i%200),
			Accounts:    []string{fmt.Sprintf("aws:123456789012:user/user%06d", i)},
		}
	}
	d, err := directory.New(people)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// benchLookups are the full shipped catalog, a 100k-person directory and
// the test environment and classification maps.
func benchLookups(b *testing.B) *enrich.Lookups {
	b.Helper()
	l := lookups(b, testConfig())
	l.Directory = benchDirectory(b, benchIdentities)
	return l
}

// benchEvents returns n events of the templates, event i by identity
// i%identities: the template's principal renamed to a directory person
// (or, for non-person principals, to an agent owned by one).
func benchEvents(b *testing.B, n, identities int) []schemas.Event {
	b.Helper()
	var templates []*schemas.Event
	for _, name := range benchTemplates {
		templates = append(templates, golden(b, name)[0])
	}
	events := make([]schemas.Event, n)
	for i := range events {
		k := i % identities
		ev := *templates[k%len(templates)]
		p := &ev.Identity
		p.ID = fmt.Sprintf("%s:bench:%06d", p.Provider, k)
		if p.Kind == schemas.KindHuman || p.Kind == "" {
			p.Email = fmt.Sprintf("user%06d@acme.example", k)
			p.Name = p.Email
		} else {
			p.Name = fmt.Sprintf("agent-%06d", k)
			p.Owner = fmt.Sprintf("user%06d@acme.example", k)
		}
		if p.CredentialID != "" {
			p.CredentialID = fmt.Sprintf("cred-%06d", k)
		}
		ev.Target.ID = fmt.Sprintf("%s/%d", ev.Target.ID, i%7)
		events[i] = ev
	}
	return events
}

// reset clears what Enrich sets, so that every run enriches the event as
// it came from ingest.
func reset(ev *schemas.Event, tmpl *schemas.Event) {
	ev.Enrichment = schemas.Enrichment{}
	ev.Target.Environment, ev.Target.Sensitivity = tmpl.Target.Environment, tmpl.Target.Sensitivity
	ev.Identity.AccountType = tmpl.Identity.AccountType
}

// BenchmarkEnrich measures enriching one event in process (classification,
// inventory fold, directory, catalog and context lookups, enrichment) in
// the steady state: 100k identities already in the inventory, a 100k-person
// directory, the full catalog. Sub-benchmarks name how many identities the
// events cycle over: all 100k (each event another identity than the last,
// state out of the CPU caches) or a working set of 1k. Decoding and
// encoding are BenchmarkEnrichRecord's. cpu-ns/op is the process CPU time
// per event, steadier than ns/op on a busy machine.
func BenchmarkEnrich(b *testing.B) {
	for _, active := range []int{benchIdentities, 1000} {
		b.Run(fmt.Sprintf("active=%d", active), func(b *testing.B) { benchEnrich(b, active) })
	}
}

func benchEnrich(b *testing.B, active int) {
	l := benchLookups(b)
	x := enrich.NewEnricher(testConfig(), fixed(l))
	events := benchEvents(b, benchIdentities, benchIdentities)
	templates := make([]schemas.Event, len(events))
	copy(templates, events)
	for i := range events {
		x.Enrich(&events[i], 0, int64(i))
	}
	x.ClearDirty()
	// The working set: events of the first active identities, a few per
	// identity so that the templates mix.
	work := events[:active]
	off := int64(len(events))
	b.ReportAllocs()
	cpu := cpuTime()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		ev := &work[i]
		reset(ev, &templates[i])
		x.Enrich(ev, 0, off)
		off++
		if i++; i == len(work) {
			i = 0
			x.ClearDirty()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	if x.Identities() != benchIdentities {
		b.Fatalf("%d identities", x.Identities())
	}
}

// cpuTime is the CPU time the process used so far, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkEnrichRecord measures what the stage does per record in
// process: decode the event, enrich it, encode the output record.
func BenchmarkEnrichRecord(b *testing.B) {
	l := benchLookups(b)
	x := enrich.NewEnricher(testConfig(), fixed(l))
	events := benchEvents(b, benchIdentities, benchIdentities)
	values := make([][]byte, len(events))
	for i := range events {
		v, err := schemas.MarshalEvent(&events[i])
		if err != nil {
			b.Fatal(err)
		}
		values[i] = v
		x.Enrich(&events[i], 0, int64(i))
	}
	x.ClearDirty()
	var ev schemas.Event
	off := int64(len(events))
	b.ReportAllocs()
	cpu := cpuTime()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if err := schemas.DecodeEvent("", values[i], &ev); err != nil {
			b.Fatal(err)
		}
		x.Enrich(&ev, 0, off)
		if _, err := stream.EventRecord(schemas.TopicEnriched, &ev); err != nil {
			b.Fatal(err)
		}
		off++
		if i++; i == len(values) {
			i = 0
			x.ClearDirty()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkInventoryMemory measures the memory the stage holds per
// tracked identity: the heap after folding 5 events into each of 100k
// identities (inventory rows, evidence, credentials index, caches), less
// the heap before (lookups and the encoded events), over 100k. Events are
// decoded one by one as the stage does, so the strings the inventory keeps
// are its own. It also reports the size of an identity's changelog value.
// Run it with -benchtime=1x: one op is the whole measurement.
func BenchmarkInventoryMemory(b *testing.B) {
	l := benchLookups(b)
	events := benchEvents(b, 5*benchIdentities, benchIdentities)
	values := make([][]byte, len(events))
	for i := range events {
		v, err := schemas.MarshalEvent(&events[i])
		if err != nil {
			b.Fatal(err)
		}
		values[i] = v
	}
	events = nil
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		x := enrich.NewEnricher(testConfig(), fixed(l))
		var ev schemas.Event
		for i, v := range values {
			if err := schemas.DecodeEvent("", v, &ev); err != nil {
				b.Fatal(err)
			}
			x.Enrich(&ev, 0, int64(i))
		}
		ev = schemas.Event{}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(x.Identities()), "bytes/identity")
		var total int
		var buf, scratch []byte
		for _, st := range x.Dirty() {
			st.Prepare()
			var err error
			buf, scratch, err = inventory.Marshal(buf[:0], scratch, st)
			if err != nil {
				b.Fatal(err)
			}
			total += len(buf)
		}
		b.ReportMetric(float64(total)/float64(len(x.Dirty())), "changelog-bytes/identity")
		runtime.KeepAlive(x)
	}
}
