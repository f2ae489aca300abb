package k8saudit

import (
	"context"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/schemas"
)

// TestRedactContent shows that the objects of requests that carry
// credentials (a Secret's data, a minted service account token) are
// replaced before the record is kept, that the redacted record normalizes
// to the same event, and that other records are returned as they are.
func TestRedactContent(t *testing.T) {
	s := New()
	const (
		secretReq = `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"hf-token","namespace":"ml-train"},"data":{"token":"aGZfQWJDZEVmR2hJams="},"type":"Opaque"}`
		secretRes = `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"hf-token","namespace":"ml-train","uid":"u1"},"data":{"token":"aGZfQWJDZEVmR2hJams="},"type":"Opaque"}`
		tokenRes  = `{"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","spec":{"audiences":["https://kubernetes.default.svc"],"expirationSeconds":3600},"status":{"token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln","expirationTimestamp":"2025-03-14T03:06:20Z"}}`
	)
	secretCreate := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a1","stage":"ResponseComplete",` +
		`"requestURI":"/api/v1/namespaces/ml-train/secrets","verb":"create","user":{"username":"alice@acme.example"},` +
		`"objectRef":{"resource":"secrets","namespace":"ml-train","name":"hf-token","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},` +
		`"requestObject":` + secretReq + `,"responseObject":` + secretRes + `,` +
		`"requestReceivedTimestamp":"2025-03-14T09:26:41.118430Z","stageTimestamp":"2025-03-14T09:26:41.131207Z"}`
	tokenCreate := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"a2","stage":"ResponseComplete",` +
		`"requestURI":"/api/v1/namespaces/ml-serving/serviceaccounts/prod-model-pusher/token","verb":"create","user":{"username":"alice@acme.example"},` +
		`"objectRef":{"resource":"serviceaccounts","namespace":"ml-serving","name":"prod-model-pusher","apiVersion":"v1","subresource":"token"},` +
		`"responseStatus":{"metadata":{},"code":201},"responseObject":` + tokenRes + `,` +
		`"requestReceivedTimestamp":"2025-03-14T02:06:20.871256Z","stageTimestamp":"2025-03-14T02:06:20.880094Z"}`

	for _, tt := range []struct {
		name, record string
		want         []string
	}{
		{"secret create", secretCreate, []string{secretReq, secretRes}},
		{"token request", tokenCreate, []string{tokenRes}},
	} {
		var seen []string
		out, err := s.RedactContent([]byte(tt.record), func(text string) string {
			seen = append(seen, text)
			return "hmac:0123"
		})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if strings.Join(seen, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: replace got %q, want %q", tt.name, seen, tt.want)
		}
		if strings.Contains(string(out), "aGZfQWJDZEVmR2hJams") || strings.Contains(string(out), "eyJhbGciOiJSUzI1NiJ9") {
			t.Errorf("%s: redacted record still holds the credential: %s", tt.name, out)
		}
		var before, after schemas.Event
		if err := s.Normalize(context.Background(), []byte(tt.record), &before); err != nil {
			t.Fatal(err)
		}
		if err := s.Normalize(context.Background(), out, &after); err != nil {
			t.Fatalf("%s: redacted record does not normalize: %v", tt.name, err)
		}
		b1, _ := schemas.MarshalEventJSON(&before)
		b2, _ := schemas.MarshalEventJSON(&after)
		if string(b1) != string(b2) {
			t.Errorf("%s: redaction changed the event:\n%s\n%s", tt.name, b1, b2)
		}
	}

	configMap := strings.ReplaceAll(secretCreate, `"resource":"secrets"`, `"resource":"configmaps"`)
	for _, tt := range []struct {
		name, record string
		replace      func(string) string
	}{
		{"metadata level", `{"kind":"Event","verb":"get","objectRef":{"resource":"secrets"}}`, func(string) string { return "" }},
		{"not a credential", configMap, func(string) string { return "" }},
		{"capture enabled", secretCreate, func(s string) string { return s }},
	} {
		out, err := s.RedactContent([]byte(tt.record), tt.replace)
		if err != nil || string(out) != tt.record {
			t.Errorf("%s: RedactContent = %.80s..., %v; want the record unchanged", tt.name, out, err)
		}
	}
	if _, err := s.RedactContent([]byte(`{"objectRef":{"resource":"secrets"},"requestObject":{`), func(string) string { return "" }); err == nil {
		t.Errorf("truncated record: no error")
	}
}
