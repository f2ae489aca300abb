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
