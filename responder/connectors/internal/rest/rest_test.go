package rest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/aitdr/aitdr/responder/connectors/internal/rest"
)

// TestHeaders shows the pagination and rate-limit headers are read as the
// providers send them.
func TestHeaders(t *testing.T) {
	h := http.Header{}
	h.Add("Link", `<https://acme.okta.com/api/v1/api-tokens?limit=20>; rel="self"`)
	h.Add("Link", `<https://acme.okta.com/api/v1/api-tokens?after=00T2&limit=20>; rel="next"`)
	if got := rest.NextLink(h); got != "https://acme.okta.com/api/v1/api-tokens?after=00T2&limit=20" {
		t.Errorf("next %q", got)
	}
	gh := http.Header{"Link": {`<https://api.github.com/orgs/a/pats?page=2>; rel="next", <https://api.github.com/orgs/a/pats?page=5>; rel="last"`}}
	if got := rest.NextLink(gh); got != "https://api.github.com/orgs/a/pats?page=2" {
		t.Errorf("next %q", got)
	}
	now := time.Unix(1000, 0)
	if got := rest.UntilUnix("1060", now); got != time.Minute {
		t.Errorf("until %v", got)
	}
	if got := rest.RetryAfterHeader(http.Header{"Retry-After": {"7"}}, now); got != 7*time.Second {
		t.Errorf("retry after %v", got)
	}
	if got := rest.RetryAfterHeader(http.Header{"Retry-After": {now.Add(time.Minute).UTC().Format(http.TimeFormat)}}, now); got != time.Minute {
		t.Errorf("retry after date %v", got)
	}
}

func TestNewOptions(t *testing.T) {
	o := rest.NewOptions(3*time.Second, nil)
	if o.HTTP == nil || o.HTTP.Timeout != 3*time.Second || o.Now == nil || o.LookupEnv == nil {
		t.Fatalf("defaults %+v, want a 3s client, a clock and os.LookupEnv", o)
	}
	if o := rest.NewOptions(0, nil); o.HTTP != nil {
		t.Fatalf("no timeout made client %+v, want none (the connector makes its own)", o.HTTP)
	}
	hc := &http.Client{}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	env := func(string) (string, bool) { return "x", true }
	o = rest.NewOptions(3*time.Second, []rest.Option{rest.WithHTTPClient(hc), rest.WithClock(func() time.Time { return at }), rest.WithLookupEnv(env)})
	if v, _ := o.LookupEnv("A"); o.HTTP != hc || !o.Now().Equal(at) || v != "x" {
		t.Fatalf("options %+v do not hold the given client, clock and environment", o)
	}
}
