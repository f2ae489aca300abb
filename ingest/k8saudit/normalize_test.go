package k8saudit

import (
	"bytes"
	"context"
	stdjson "encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/ingesttest"
	"github.com/aitdr/aitdr/schemas"
)

// observed is the ObservedTime the tests give every event.
var observed = time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)

// TestGolden shows that each documented event shape normalizes to the event
// in its golden file, and that the event meets the contract.
func TestGolden(t *testing.T) {
	ingesttest.Golden{Source: New(WithCluster("ml-prod")), Observed: observed}.Run(t)
}

// TestCluster shows where the cluster of the identity comes from: an
// annotation of the event first, then WithCluster, then "default".
func TestCluster(t *testing.T) {
	const plain = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"alice@acme.example"},"requestReceivedTimestamp":"2025-03-14T09:26:41.118430Z"}`
	const hinted = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"alice@acme.example"},"requestReceivedTimestamp":"2025-03-14T09:26:41.118430Z","annotations":{"aitdr.io/cluster":"gke-eu"}}`
	for _, tt := range []struct {
		name   string
		source *Source
		record string
		want   string
	}{
		{"default", New(), plain, "kubernetes:default:alice@acme.example"},
		{"option", New(WithCluster("prod-eks")), plain, "kubernetes:prod-eks:alice@acme.example"},
		{"empty option keeps default", New(WithCluster("")), plain, "kubernetes:default:alice@acme.example"},
		{"annotation wins", New(WithCluster("prod-eks")), hinted, "kubernetes:gke-eu:alice@acme.example"},
	} {
		var ev schemas.Event
		if err := tt.source.Normalize(context.Background(), []byte(tt.record), &ev); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if ev.Identity.ID != tt.want || ev.Source.Account != ev.Identity.Account {
			t.Errorf("%s: identity %q (source account %q), want %q", tt.name, ev.Identity.ID, ev.Source.Account, tt.want)
		}
	}
}

// TestNormalizeBadInput shows that events that cannot be normalized are
// rejected with an error naming the field.
func TestNormalizeBadInput(t *testing.T) {
	const ts = `"requestReceivedTimestamp":"2025-03-14T09:26:41.118430Z"`
	future := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339Nano)
	tests := []struct {
		name   string
		record string
		want   string
		field  bool
	}{
		{"empty", "  ", "decode kubernetes audit event: empty record", false},
		{"truncated", `{"kind":"Event","verb":"get","user":{"username":"al`, "decode kubernetes audit event: json: string unexpected end of JSON input", false},
		{"not an object", `"Event"`, "decode kubernetes audit event: not a JSON object (got string)", false},
		{"event list", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`, `kind: "EventList" is not an audit Event`, true},
		{"core event", `{"kind":"Event","apiVersion":"v1","verb":"get","user":{"username":"a"},` + ts + `}`, `apiVersion: "v1" is not an audit.k8s.io version`, true},
		{"missing user", `{"kind":"Event","verb":"get",` + ts + `}`, "user.username: missing", true},
		{"empty impersonated user", `{"verb":"get","user":{"username":"a"},"impersonatedUser":{"groups":["g"]},` + ts + `}`, "impersonatedUser.username: missing", true},
		{"missing verb", `{"user":{"username":"a"},` + ts + `}`, "verb: missing", true},
		{"missing time", `{"verb":"get","user":{"username":"a"}}`, "requestReceivedTimestamp: missing", true},
		{"bad time", `{"verb":"get","user":{"username":"a"},"requestReceivedTimestamp":"14/03/2025"}`, `requestReceivedTimestamp: "14/03/2025" is not an RFC 3339 time`, true},
		{"long bad time is clipped", `{"verb":"get","user":{"username":"a"},"requestReceivedTimestamp":"` + strings.Repeat("9", 80) + `"}`,
			`requestReceivedTimestamp: "` + strings.Repeat("9", 64) + `..." is not an RFC 3339 time`, true},
		{"bad stage time", `{"verb":"get","user":{"username":"a"},"stageTimestamp":"yesterday"}`, `stageTimestamp: "yesterday" is not an RFC 3339 time`, true},
		{"old time", `{"verb":"get","user":{"username":"a"},"requestReceivedTimestamp":"1999-12-31T23:59:59Z"}`, "requestReceivedTimestamp: 1999-12-31T23:59:59Z is before 2000", true},
		{"future time", `{"verb":"get","user":{"username":"a"},"requestReceivedTimestamp":"` + future + `"}`, "requestReceivedTimestamp: " + future + " is more than 24h in the future", true},
		{"username not a string", `{"verb":"get","user":{"username":42},` + ts + `}`, "user.username: not a string (got number)", true},
		{"groups not an array", `{"verb":"get","user":{"username":"a","groups":"system:masters"},` + ts + `}`, "user.groups: not an array (got string)", true},
		{"sourceIPs of numbers", `{"verb":"get","user":{"username":"a"},"sourceIPs":[1],` + ts + `}`, "sourceIPs: not a string (got number)", true},
		{"code not a number", `{"verb":"get","user":{"username":"a"},"responseStatus":{"code":"403"},` + ts + `}`, "responseStatus.code: not a number (got string)", true},
		{"objectRef not an object", `{"verb":"get","user":{"username":"a"},"objectRef":"secrets",` + ts + `}`, "objectRef: not an object (got string)", true},
		{"invalid UTF-8 username", "{\"verb\":\"get\",\"user\":{\"username\":\"al\xffice\"}," + ts + "}", "user.username: invalid UTF-8", true},
		{"invalid UTF-8 resource", "{\"verb\":\"get\",\"user\":{\"username\":\"alice\"},\"objectRef\":{\"resource\":\"sec\xc3\x28rets\"}," + ts + "}", "objectRef.resource: invalid UTF-8", true},
	}
	s := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev schemas.Event
			err := s.Normalize(context.Background(), []byte(tt.record), &ev)
			if err == nil {
				t.Fatalf("Normalize succeeded: %+v", ev)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\n want %q", err, tt.want)
			}
			var fe *ingest.FieldError
			if errors.As(err, &fe) != tt.field {
				t.Errorf("errors.As(*ingest.FieldError) = %v, want %v", !tt.field, tt.field)
			}
		})
	}
}

// TestNormalizeLenient shows what an event may get wrong without being
// rejected: an address that does not parse is kept as an attribute, an
// unknown verb normalizes to other.
func TestNormalizeLenient(t *testing.T) {
	record := []byte(`{"verb":"frobnicate","user":{"username":"a"},"sourceIPs":["not-an-ip","10.0.0.1"],"requestReceivedTimestamp":"2025-03-14T09:26:41Z"}`)
	var ev schemas.Event
	if err := New().Normalize(context.Background(), record, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Network.SourceIP != "" || ev.Attributes["k8s.source_ip"] != "not-an-ip" || ev.Attributes["k8s.source_ips"] != "not-an-ip,10.0.0.1" {
		t.Errorf("network = %+v, attributes = %v", ev.Network, ev.Attributes)
	}
	if ev.Action.Verb != schemas.VerbOther || ev.Action.Category != schemas.CategoryOther || ev.Outcome != schemas.OutcomeUnknown {
		t.Errorf("action = %+v, outcome %q", ev.Action, ev.Outcome)
	}
}

// TestCategory pins the categories of requests the golden files do not
// cover.
func TestCategory(t *testing.T) {
	tests := []struct {
		verb            string
		group, res, sub string
		want            schemas.Category
	}{
		{"delete", "", "secrets", "", schemas.CategorySecretAccess},
		{"watch", "", "secrets", "", schemas.CategorySecretAccess},
		{"get", "rbac.authorization.k8s.io", "clusterroles", "", schemas.CategoryOther},
		{"bind", "rbac.authorization.k8s.io", "clusterroles", "", schemas.CategoryIAMChange},
		{"deletecollection", "rbac.authorization.k8s.io", "rolebindings", "", schemas.CategoryIAMChange},
		{"list", "", "serviceaccounts", "", schemas.CategoryOther},
		{"update", "certificates.k8s.io", "certificatesigningrequests", "approval", schemas.CategoryIAMChange},
		{"create", "authentication.k8s.io", "tokenreviews", "", schemas.CategoryAuthentication},
		{"create", "", "pods", "attach", schemas.CategoryAdmin},
		{"get", "", "nodes", "proxy", schemas.CategoryAdmin},
		{"list", "serving.kserve.io", "inferenceservices", "", schemas.CategoryModelManagement},
		{"create", "mlops.seldon.io", "models", "", schemas.CategoryModelManagement},
		{"create", "trainer.kubeflow.org", "trainjobs", "", schemas.CategoryTrainingPipeline},
		{"create", "kubeflow.org", "tfjobs", "", schemas.CategoryTrainingPipeline},
		{"create", "kubeflow.org", "notebooks", "", schemas.CategoryAdmin},
		{"create", "argoproj.io", "applications", "", schemas.CategoryAdmin},
		{"create", "ray.io", "rayjobs", "", schemas.CategoryTrainingPipeline},
		{"get", "", "configmaps", "", schemas.CategoryDataAccess},
		{"create", "apps", "deployments", "", schemas.CategoryAdmin},
		{"list", "", "pods", "", schemas.CategoryOther},
	}
	for _, tt := range tests {
		ref := &objectRef{APIGroup: tt.group, Resource: tt.res, Subresource: tt.sub}
		if got := categoryOf(tt.verb, ref); got != tt.want {
			t.Errorf("%s %s.%s/%s: category %q, want %q", tt.verb, tt.res, tt.group, tt.sub, got, tt.want)
		}
	}
	if got := categoryOf("get", nil); got != schemas.CategoryOther {
		t.Errorf("non-resource request: category %q", got)
	}
}

// TestDetect shows that Detect claims audit events and lists and leaves
// other sources' records alone.
func TestDetect(t *testing.T) {
	s := New()
	for _, tt := range []struct {
		name   string
		record string
		want   bool
	}{
		{"event", `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","verb":"get"}`, true},
		{"event without apiVersion", `{"auditID":"a","stage":"ResponseComplete","verb":"get"}`, true},
		{"event list", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a"}]}`, true},
		{"gke audit log", `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"k8s.io","methodName":"io.k8s.get"},"resource":{"type":"k8s_cluster"}}`, false},
		{"aks diagnostic log", `{"category":"kube-audit","properties":{"log":"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"a\"}"}}`, false},
		{"core event list", `{"kind":"EventList","apiVersion":"v1","items":[]}`, false},
		{"github", `{"@timestamp":1,"_document_id":"x","action":"repo.create","actor":"a"}`, false},
	} {
		if got := s.Detect([]byte(tt.record)); got != tt.want {
			t.Errorf("%s: Detect = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestSplit shows that a webhook EventList splits into its events, each
// normalizable, and that Split leaves single events and other lists alone.
func TestSplit(t *testing.T) {
	s := New()
	var list bytes.Buffer
	list.WriteString(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[`)
	files, _ := filepath.Glob("testdata/*.in.json")
	files = files[:3]
	for i, f := range files {
		b := ingesttest.ReadFile(t, f)
		if i > 0 {
			list.WriteByte(',')
		}
		list.Write(b)
	}
	list.WriteString("]}")

	var got []string
	ok, err := s.Split(list.Bytes(), func(record []byte) error {
		var ev schemas.Event
		if err := s.Normalize(context.Background(), record, &ev); err != nil {
			return err
		}
		got = append(got, ev.Source.EventID)
		return nil
	})
	if !ok || err != nil || len(got) != len(files) {
		t.Fatalf("Split = %v, %v with %d events, want true, nil with %d", ok, err, len(got), len(files))
	}

	one, _ := os.ReadFile(files[0])
	for _, tt := range []struct {
		name     string
		delivery string
		ok       bool
		err      string
	}{
		{"single event", string(one), false, ""},
		{"empty list", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[]}`, true, ""},
		{"core event list", `{"kind":"EventList","apiVersion":"v1","items":[{"reason":"Pulled"}]}`, false, ""},
		{"array", `[{"kind":"EventList"}]`, false, ""},
		{"items not an array", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":{}}`, true, "split kubernetes audit event list: items: not an array (got object)"},
		{"truncated list", `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a"}`, true, "split kubernetes audit event list: decode kubernetes audit event: json: invalid character as slice"},
	} {
		n := 0
		ok, err := s.Split([]byte(tt.delivery), func([]byte) error { n++; return nil })
		if ok != tt.ok || (err == nil) != (tt.err == "") || (err != nil && err.Error() != tt.err) {
			t.Errorf("%s: Split = %v, %v; want %v, %q", tt.name, ok, err, tt.ok, tt.err)
		}
		if !ok && n > 0 {
			t.Errorf("%s: emitted %d events while reporting false", tt.name, n)
		}
	}

	stop := errors.New("stop")
	if _, err := s.Split(list.Bytes(), func([]byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Split error = %v, want the emit error", err)
	}
}

// FuzzNormalize shows that no input panics Normalize, Split or
// RedactContent, and that whatever Normalize accepts meets the event
// contract.
func FuzzNormalize(f *testing.F) {
	ingesttest.Seed(f, "testdata/*.in.json")
	f.Add([]byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"verb":"get","user":{"username":"a"},"requestReceivedTimestamp":"2025-03-14T09:26:41Z"}]}`))
	s := New()
	f.Fuzz(func(t *testing.T, record []byte) {
		_, _ = s.RedactContent(record, func(string) string { return "" })
		_, _ = s.Split(record, func([]byte) error { return nil })
		var ev schemas.Event
		if err := s.Normalize(context.Background(), record, &ev); err != nil {
			return
		}
		ingesttest.Finish(&ev, s.Product(), record, observed)
		if err := ev.Validate(); err != nil {
			t.Fatalf("accepted record gives an invalid event: %v\n%q", err, record)
		}
		if ev.Identity.ID == "" || ev.Action.Name == "" || ev.Time.IsZero() {
			t.Fatalf("accepted record without identity, action or time: %q", record)
		}
	})
}

// BenchmarkNormalize measures a Metadata-level secret read by a service
// account with a bound token, as the log backend writes it.
func BenchmarkNormalize(b *testing.B) {
	record, err := os.ReadFile(filepath.Join("testdata", "secret_get_service_account.in.json"))
	if err != nil {
		b.Fatal(err)
	}
	var compact bytes.Buffer
	if err := stdjson.Compact(&compact, record); err != nil {
		b.Fatal(err)
	}
	record = compact.Bytes()
	s := New(WithCluster("ml-prod"))
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(record)))
	for b.Loop() {
		var ev schemas.Event
		if err := s.Normalize(ctx, record, &ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/event")
}
