// Package principal finds the provider account and native id a containment
// step acts on, and refuses a principal of another provider.
package principal

import (
	"fmt"
	"strings"

	"github.com/aitdr/aitdr/responder"
)

// Native returns the account and the provider-native id of p, which must
// belong to provider: p.Account and p.NativeID when the responder filled
// them, else the parts of the aitdr identity id
// "<provider>:<account>:<native id>" (the native id keeps its colons, as in
// "system:serviceaccount:ns:name").
func Native(p responder.Principal, provider string) (account, native string, err error) {
	idProvider, rest, _ := strings.Cut(p.ID, ":")
	idAccount, idNative, _ := strings.Cut(rest, ":")
	if p.Provider != "" && p.Provider != provider {
		return "", "", fmt.Errorf("principal %q: provider %q is not %s", p.ID, p.Provider, provider)
	}
	if p.ID != "" && idProvider != provider {
		return "", "", fmt.Errorf("principal %q: identity id is not of provider %s", p.ID, provider)
	}
	account, native = p.Account, p.NativeID
	if account == "" {
		account = idAccount
	}
	if native == "" {
		native = idNative
	}
	if p.ID != "" && (account != idAccount || native != idNative) {
		return "", "", fmt.Errorf("principal %q: account %q and native id %q disagree with the identity id", p.ID, p.Account, p.NativeID)
	}
	if account == "" || native == "" {
		return "", "", fmt.Errorf("principal %q: no account or native id (want %s:<account>:<native id>)", p.ID, provider)
	}
	return account, native, nil
}
