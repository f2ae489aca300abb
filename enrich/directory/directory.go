// Package directory is the customer's people directory, as identity
// providers export it (CSV or JSON: Okta, Entra / Microsoft Graph, SCIM, or
// a flat list): who each person is (e-mail, user name, display name), their
// manager and team, their time zone and working hours, and the other
// accounts that are theirs. The enrich stage uses it to name the owner and
// team of every identity, to link one person's accounts across providers,
// and to judge an event's hour by the person's working week. A CMDB or
// service-account register exported the same way lists workloads (an
// identity id, an owner, a team) beside the people.
//
// Columns and fields are recognized by their usual names (see the package
// documentation in docs/discover.md): email, mail, userPrincipalName,
// login, displayName, manager, department, team, linked_accounts,
// identity_id, owner, timezone, working_hours_start, working_hours_end,
// working_days, and their Okta (profile.*), SCIM and Microsoft Graph
// (mailboxSettings) forms. Other columns are ignored.
package directory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aitdr/aitdr/enrich/workhours"
)

// Person is one entry of the directory.
type Person struct {
	// Email is the person's primary e-mail address, lower case.
	Email string
	// UserName is the login (user principal name, Okta login), lower case.
	UserName string
	// DisplayName is the person's name.
	DisplayName string
	// Manager is the person's manager as the export names them (an
	// e-mail address or a login).
	Manager string
	// Owner is the person responsible for a workload's entry (a service
	// account or agent credential in a CMDB export), as the export names
	// them; empty for people.
	Owner string
	// Team is the person's team, or their department when the export
	// has no team.
	Team string
	// TimeZone is where the person works; nil when the export does not
	// say.
	TimeZone *time.Location
	// WorkingHours are the person's working days and hours in TimeZone;
	// zero when the export does not give them.
	WorkingHours workhours.Hours
	// Accounts are the person's other accounts: aitdr identity ids
	// ("github:acme-corp:dev-jkim"), native ids, logins or e-mail
	// addresses elsewhere, lower case.
	Accounts []string
	// File and Line are where the entry is.
	File string
	Line int
}

// Key returns the person's stable name in the inventory: the e-mail
// address, else the user name.
func (p *Person) Key() string {
	if p.Email != "" {
		return p.Email
	}
	return p.UserName
}

// Directory is a loaded directory with its index by e-mail, user name and
// linked account. It is immutable and safe for concurrent use.
type Directory struct {
	people []Person
	index  map[string]int32
}

// Len returns the number of people.
func (d *Directory) Len() int {
	if d == nil {
		return 0
	}
	return len(d.people)
}

// Lookup returns the person one of keys names (an e-mail address, a user
// name, or one of their linked accounts), trying keys in order; keys are
// compared in lower case and empty keys are skipped.
func (d *Directory) Lookup(keys ...string) (*Person, bool) {
	if d == nil || len(d.index) == 0 {
		return nil, false
	}
	for _, k := range keys {
		if k == "" {
			continue
		}
		if i, ok := d.index[k]; ok {
			return &d.people[i], true
		}
		if lk := lower(k); lk != k {
			if i, ok := d.index[lk]; ok {
				return &d.people[i], true
			}
		}
	}
	return nil, false
}

// lower returns s in lower case, without allocating when it already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

// Load reads directory files (CSV or JSON, by extension or, failing that,
// by content) into one directory. A key (e-mail, user name, linked
// account) that names two people is an error; every problem of every file
// is returned, each with its file:line and cause.
func Load(paths []string) (*Directory, error) {
	b := newBuilder()
	var errs []error
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("read directory file: %w", err))
			continue
		}
		people, err := Parse(path, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := b.add(people); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return b.directory(), nil
}

// New returns a directory of people, checking that no key names two of
// them.
func New(people []Person) (*Directory, error) {
	b := newBuilder()
	if err := b.add(people); err != nil {
		return nil, err
	}
	return b.directory(), nil
}

// Parse reads one directory file; name is the file name errors carry and
// tells the format by its extension (.csv; .json, .jsonl, .ndjson),
// else the content does (JSON starts with '[' or '{').
func Parse(name string, data []byte) ([]Person, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return parseCSV(name, data)
	case ".json", ".jsonl", ".ndjson":
		return parseJSON(name, data)
	}
	trimmed := strings.TrimLeft(string(data[:min(len(data), 64)]), " \t\r\n\ufeff")
	if strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, "{") {
		return parseJSON(name, data)
	}
	return parseCSV(name, data)
}

type builder struct {
	people []Person
	index  map[string]int32
}

func newBuilder() *builder { return &builder{index: map[string]int32{}} }

func (b *builder) add(people []Person) error {
	var errs []error
	for _, p := range people {
		i := int32(len(b.people))
		keys := make([]string, 0, 2+len(p.Accounts))
		if p.Email != "" {
			keys = append(keys, p.Email)
		}
		if p.UserName != "" && p.UserName != p.Email {
			keys = append(keys, p.UserName)
		}
		keys = append(keys, p.Accounts...)
		conflict := false
		for _, k := range keys {
			if j, ok := b.index[k]; ok {
				q := &b.people[j]
				errs = append(errs, fmt.Errorf("%s:%d: %q also names %s at %s:%d", p.File, p.Line, k, q.Key(), q.File, q.Line))
				conflict = true
			}
		}
		if conflict {
			continue
		}
		b.people = append(b.people, p)
		for _, k := range keys {
			b.index[k] = i
		}
	}
	return errors.Join(errs...)
}

func (b *builder) directory() *Directory { return &Directory{people: b.people, index: b.index} }
