package principal_test

import (
	"testing"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/internal/principal"
)

// TestNative shows the account and native id come from the principal's
// fields or its identity id, native ids keep their colons, and principals
// of another provider or with disagreeing fields are refused.
func TestNative(t *testing.T) {
	for _, tc := range []struct {
		p               responder.Principal
		account, native string
		ok              bool
	}{
		{responder.Principal{ID: "aws:123456789012:role/agent"}, "123456789012", "role/agent", true},
		{responder.Principal{ID: "kubernetes:ml-prod:system:serviceaccount:ns:sa", Provider: "kubernetes"}, "ml-prod", "system:serviceaccount:ns:sa", true},
		{responder.Principal{Provider: "aws", Account: "1", NativeID: "user/x"}, "1", "user/x", true},
		{responder.Principal{ID: "aws:1:user/x", Account: "1", NativeID: "user/x"}, "1", "user/x", true},
		{responder.Principal{ID: "aws:1:user/x", NativeID: "user/y"}, "", "", false},
		{responder.Principal{ID: "okta:acme:00u1"}, "", "", false},
		{responder.Principal{ID: "aws:1:user/x", Provider: "okta"}, "", "", false},
		{responder.Principal{ID: "aws:"}, "", "", false},
	} {
		a, n, err := principal.Native(tc.p, "aws")
		if tc.p.Provider == "kubernetes" {
			a, n, err = principal.Native(tc.p, "kubernetes")
		}
		if (err == nil) != tc.ok || a != tc.account || n != tc.native {
			t.Errorf("%+v: %q %q %v", tc.p, a, n, err)
		}
	}
}
