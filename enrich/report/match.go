package report

import (
	"net/mail"
	"slices"
	"strings"
)

// Match keys, strongest first: an entry matches through the strongest key
// that finds any observed identity, and through that key only.
const (
	// KeyID matches the entry's id with an identity's aitdr id, its
	// native part (after <provider>:<account>:) or a provider id (ARN).
	KeyID = "id"
	// KeyEmail matches the entry's e-mail with an e-mail the identity goes
	// by, or one its ids or names hold.
	KeyEmail = "email"
	// KeyName matches the entry's name with a display or login name of the
	// identity, or the last segment of its native id (the role name of
	// aws:123456789012:role/support-agent).
	KeyName = "name"
	// KeyAlias matches one of the entry's aliases as KeyName does.
	KeyAlias = "alias"
)

// Match is an assumed entry found among the observed identities.
type Match struct {
	// Line is the entry's line in the assumed inventory file.
	Line int `json:"line"`
	// Entry is the entry's label (its id, else e-mail, else name).
	Entry string `json:"entry"`
	// AssumedClass is the class the assumed inventory gives.
	AssumedClass string `json:"assumed_class"`
	// IdentityID is the observed identity.
	IdentityID string `json:"identity_id"`
	// ObservedClass is the class aitdr gave it.
	ObservedClass string `json:"observed_class"`
	// Key is how they matched: id, email, name or alias.
	Key string `json:"key"`
	// Value is the value they matched on, as the entry has it.
	Value string `json:"value"`
}

// index finds observed identities by key, case-insensitively.
type index struct {
	byKey map[string]map[string][]int // key kind → folded value → identities
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// nativeID returns the native part of an aitdr identity id,
// "<provider>:<account>:<native id>", or "" when id has not that form.
func nativeID(id string) string {
	parts := strings.SplitN(id, ":", 3)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// lastSegment returns what follows the last slash of s.
func lastSegment(s string) string { return s[strings.LastIndexByte(s, '/')+1:] }

// isEmail reports whether s is a bare e-mail address.
func isEmail(s string) bool {
	if !strings.Contains(s, "@") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && strings.EqualFold(a.Address, s)
}

func newIndex(obs []ObservedIdentity) *index {
	ix := &index{byKey: map[string]map[string][]int{KeyID: {}, KeyEmail: {}, KeyName: {}}}
	add := func(key, value string, i int) {
		v := fold(value)
		if v == "" {
			return
		}
		m := ix.byKey[key]
		if !slices.Contains(m[v], i) {
			m[v] = append(m[v], i)
		}
	}
	for i, o := range obs {
		native := nativeID(o.ID)
		add(KeyID, o.ID, i)
		add(KeyID, native, i)
		for _, u := range o.UIDs {
			add(KeyID, u, i)
		}
		for _, e := range o.Emails {
			add(KeyEmail, e, i)
		}
		names := append([]string{o.DisplayName, lastSegment(native)}, o.Names...)
		for _, n := range names {
			add(KeyName, n, i)
		}
		// Logins, user ids and the native ids of SaaS users are often
		// e-mail addresses.
		for _, v := range append(append(names, native), o.UIDs...) {
			if isEmail(v) {
				add(KeyEmail, v, i)
			}
		}
	}
	return ix
}

// lookup returns the identities e matches, with the key and value that
// matched, trying its id, e-mail, name and aliases in that order.
func (ix *index) lookup(e Entry) ([]int, string, string) {
	tries := []struct{ key, index, value string }{
		{KeyID, KeyID, e.ID},
		{KeyEmail, KeyEmail, e.Email},
		{KeyName, KeyName, e.Name},
	}
	if e.Email == "" && isEmail(e.ID) {
		// An e-mail put in the id column.
		tries = append(tries[:1:1], struct{ key, index, value string }{KeyEmail, KeyEmail, e.ID}, tries[2])
	}
	for _, a := range e.Aliases {
		tries = append(tries, struct{ key, index, value string }{KeyAlias, KeyName, a})
	}
	for _, t := range tries {
		if t.value == "" {
			continue
		}
		if ids := ix.byKey[t.index][fold(t.value)]; len(ids) > 0 {
			return ids, t.key, t.value
		}
	}
	return nil, "", ""
}
