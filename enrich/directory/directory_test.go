package directory_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/enrich/directory"
	"github.com/aitdr/aitdr/enrich/internal/filefmt"
)

// TestExports shows the directory reads the exports of the usual identity
// providers, CSV and JSON, and finds each person by e-mail, user name and
// linked account, whatever the case.
func TestExports(t *testing.T) {
	d, err := directory.Load([]string{
		"testdata/okta_users.csv", "testdata/okta_users.ndjson", "testdata/scim_users.json",
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 7 {
		t.Errorf("Len = %d, want 7", d.Len())
	}
	tests := []struct {
		keys []string
		want directory.Person
	}{
		{[]string{"aws:123456789012:user/priya.natarajan"}, directory.Person{
			Email: "priya.natarajan@acme.example", UserName: "priya.natarajan@acme.example", DisplayName: "Priya Natarajan",
			Manager: "lena.kim@acme.example", Team: "ML Platform",
			Accounts: []string{"aws:123456789012:user/priya.natarajan", "github:acme-corp:priya-n"},
			File:     "testdata/okta_users.csv", Line: 2,
		}},
		{[]string{"nobody", "DEV-JKIM"}, directory.Person{
			Email: "jkim@acme.example", UserName: "jkim@acme.example", DisplayName: "Jae Kim",
			Manager: "lena.kim@acme.example", Team: "Applied AI", Accounts: []string{"dev-jkim"},
			File: "testdata/okta_users.csv", Line: 4,
		}},
		{[]string{"00u8k2m4p6R8t0V2x4Z6"}, directory.Person{
			Email: "sam.ortiz@acme.example", UserName: "sam.ortiz@acme.example", DisplayName: "Sam Ortiz",
			Manager: "lena.kim@acme.example", Team: "Sales Engineering", Accounts: []string{"00u8k2m4p6r8t0v2x4z6"},
			File: "testdata/okta_users.ndjson", Line: 1,
		}},
		{[]string{"Chloe.Martin@acme.example"}, directory.Person{
			Email: "chloe.martin@acme.example", UserName: "chloe.martin@acme.example", DisplayName: "Chloe Martin",
			Team: "Support Automation", Accounts: []string{"00u1a2b3c4d5e6f7g8h9"},
			File: "testdata/okta_users.ndjson", Line: 2,
		}},
		{[]string{"noah.fischer@acme.example"}, directory.Person{
			Email: "noah.fischer@acme.example", UserName: "noah.fischer@acme.example", DisplayName: "Noah Fischer",
			Manager: "26118915-6090-4610-87e4-49d8ca9f808d", Team: "Developer Experience",
			Accounts: []string{"2819c223-7f76-453a-919d-413861904646"},
			File:     "testdata/scim_users.json", Line: 5,
		}},
	}
	for _, tt := range tests {
		p, ok := d.Lookup(tt.keys...)
		if !ok {
			t.Errorf("Lookup(%q) found nobody", tt.keys)
			continue
		}
		if p.Email != tt.want.Email || p.UserName != tt.want.UserName || p.DisplayName != tt.want.DisplayName ||
			p.Manager != tt.want.Manager || p.Team != tt.want.Team || !slices.Equal(p.Accounts, tt.want.Accounts) ||
			p.File != tt.want.File || p.Line != tt.want.Line {
			t.Errorf("Lookup(%q) =\n %+v\nwant\n %+v", tt.keys, *p, tt.want)
		}
	}
	if p, ok := d.Lookup("", "stranger@acme.example"); ok {
		t.Errorf("a stranger was found: %+v", p)
	}
	var none *directory.Directory
	if _, ok := none.Lookup("x"); ok || none.Len() != 0 {
		t.Error("a nil directory knows someone")
	}
}

// TestGraphExport shows a Microsoft Graph export: people under "value",
// e-mail from mail or else the user principal name, other mails as linked
// accounts, a nested manager's object id not taken for the person's, and
// the time zone and working hours of the mailbox settings.
func TestGraphExport(t *testing.T) {
	data, err := os.ReadFile("testdata/entra_users.json")
	if err != nil {
		t.Fatal(err)
	}
	people, err := directory.Parse("entra_users.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 2 {
		t.Fatalf("%d people, want 2", len(people))
	}
	p := people[0]
	if p.Email != "priya.natarajan@acme.example" || p.Manager != "lena.kim@acme.example" || p.Team != "ML Platform" ||
		!slices.Equal(p.Accounts, []string{"priya.n@old-acme.example", "d7b5c3a1-2f4e-4d6c-8b0a-9e1f3a5c7d92"}) || p.Line != 4 {
		t.Errorf("person 0 = %+v", p)
	}
	if p.TimeZone == nil || p.TimeZone.String() != "Asia/Kolkata" || p.WorkingHours.String() != "Mon-Fri 09:30-18:00" {
		t.Errorf("person 0: time zone %v, working hours %q; want Asia/Kolkata, Mon-Fri 09:30-18:00 from mailboxSettings", p.TimeZone, p.WorkingHours)
	}
	if m := people[1]; m.Email != "marco.rossi@acme.example" || m.Team != "Support Automation" || m.Line != 22 || m.TimeZone != nil || !m.WorkingHours.IsZero() {
		t.Errorf("person 1 = %+v", m)
	}
}

// TestBadFiles shows a bad export is rejected with each problem at its
// file and line (and column where the format tells it).
func TestBadFiles(t *testing.T) {
	tests := []struct {
		files []string
		want  []string
	}{
		{[]string{"missing_identity.bad.csv"}, []string{
			"testdata/missing_identity.bad.csv:3:1: no e-mail address and no user name",
			`testdata/missing_identity.bad.csv:4:1: e-mail "not-an-address" is not an address`,
		}},
		{[]string{"field_count.bad.csv"}, []string{
			"testdata/field_count.bad.csv:3:1: wrong number of fields",
			`testdata/field_count.bad.csv:4:`,
		}},
		{[]string{"no_column.bad.csv"}, []string{
			"testdata/no_column.bad.csv:1:1: no e-mail or user-name column in the header",
		}},
		{[]string{"duplicate.bad.csv"}, []string{
			`testdata/duplicate.bad.csv:3: "github:acme-corp:alpha" also names a@acme.example at testdata/duplicate.bad.csv:2`,
			`testdata/duplicate.bad.csv:4: "a@acme.example" also names a@acme.example at testdata/duplicate.bad.csv:2`,
		}},
		{[]string{"broken.bad.json"}, []string{
			"testdata/broken.bad.json:3:45: invalid character '}' looking for beginning of value",
		}},
		{[]string{"records.bad.json"}, []string{
			"testdata/records.bad.json:3: no e-mail address and no user name",
			"testdata/records.bad.json:4: want an object per person, not null",
		}},
		{[]string{"hours.bad.csv"}, []string{
			`testdata/hours.bad.csv:3:1: time zone: "Pacific Standard Time" is not an IANA time zone such as America/Los_Angeles`,
			`testdata/hours.bad.csv:4:1: working hours start: "9am" is not a time of day such as 09:00 or 17:30`,
			"testdata/hours.bad.csv:5:1: working days without the working hours' start and end",
			"testdata/hours.bad.csv:6:1: working hours 09:00-09:00: start and end are the same time",
		}},
		{[]string{"okta_users.csv", "okta_users.csv"}, []string{
			`testdata/okta_users.csv:2: "priya.natarajan@acme.example" also names priya.natarajan@acme.example at testdata/okta_users.csv:2`,
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.files, "+"), func(t *testing.T) {
			var paths []string
			for _, f := range tt.files {
				paths = append(paths, filepath.Join("testdata", f))
			}
			_, err := directory.Load(paths)
			if err == nil {
				t.Fatal("loaded without error")
			}
			lines := strings.Split(err.Error(), "\n")
			for i, w := range tt.want {
				if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
					got := ""
					if i < len(lines) {
						got = lines[i]
					}
					t.Errorf("problem %d:\n got %q\nwant %q...\nall: %v", i, got, w, err)
				}
			}
		})
	}
}

// TestTimeZonesAndWorkingHours shows where people work and when, as Okta
// (profile.timezone), SCIM (timezone) and flat HR exports give it; a
// person without them has none.
func TestTimeZonesAndWorkingHours(t *testing.T) {
	d, err := directory.Load([]string{"testdata/okta_users.ndjson", "testdata/scim_users.json", "testdata/hr_export.csv", "testdata/okta_users.csv"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key, zone, hours string
	}{
		{"sam.ortiz@acme.example", "America/Los_Angeles", ""},
		{"noah.fischer@acme.example", "Europe/Berlin", ""},
		{"ana.silva@acme.example", "America/New_York", "Mon-Fri 08:30-17:00"},
		{"ravi.iyer@acme.example", "Asia/Kolkata", ""},
		{"mia.berg@acme.example", "UTC+01:00", "Mon-Thu,Sun 22:00-06:00"},
		{"chloe.martin@acme.example", "", ""},
		{"dana.lee@acme.example", "", ""},
	} {
		p, ok := d.Lookup(c.key)
		if !ok {
			t.Errorf("%s not found", c.key)
			continue
		}
		zone := ""
		if p.TimeZone != nil {
			zone = p.TimeZone.String()
		}
		if zone != c.zone || p.WorkingHours.String() != c.hours {
			t.Errorf("%s: time zone %q, working hours %q; want %q, %q", c.key, zone, p.WorkingHours, c.zone, c.hours)
		}
	}
}

// TestWorkloadEntries shows a CMDB export of workload identities read as
// directory entries: each known by its identity id (whatever its case),
// with its owner and team, and no mailbox, so that the enrich stage does
// not take it for a person.
func TestWorkloadEntries(t *testing.T) {
	d, err := directory.Load([]string{"testdata/okta_users.csv", "testdata/cmdb_workloads.csv"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key, owner, team, name string
	}{
		{"aws:123456789012:role/ticket-triage-agent", "priya.natarajan@acme.example", "ML Platform", "ticket-triage"},
		{"litellm:acme-litellm:key/b7e1c2d3a4f5061728394a5b6c7d8e", "chloe.martin@acme.example", "Support Automation", "support-copilot"},
		{"entra:3F2A9C1E-5B7D-4E8F-A1C2-6D4B8E0F2A13:184F5E0E-91C5-4383-9621-53E38D3E2DBE", "jkim@acme.example", "Applied AI", "Release-Notes"},
	} {
		p, ok := d.Lookup(c.key)
		if !ok {
			t.Errorf("%s not found", c.key)
			continue
		}
		if p.Email != "" || p.Owner != c.owner || p.Team != c.team || p.DisplayName != c.name || p.Key() != strings.ToLower(c.key) {
			t.Errorf("%s = %+v; want owner %s, team %s, name %s, no e-mail", c.key, *p, c.owner, c.team, c.name)
		}
	}
	if p, ok := d.Lookup("priya.natarajan@acme.example"); !ok || p.Owner != "" {
		t.Errorf("a person has an owner: %+v", p)
	}
}

// TestNew shows a directory built in code checks its keys like a file.
func TestNew(t *testing.T) {
	d, err := directory.New([]directory.Person{{Email: "a@x.example", Team: "A"}, {UserName: "b", Team: "B"}})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := d.Lookup("B"); !ok || p.Team != "B" || p.Key() != "b" {
		t.Errorf("Lookup(B) = %+v, %v", p, ok)
	}
	if _, err := directory.New([]directory.Person{{Email: "a@x.example"}, {Email: "a@x.example"}}); err == nil {
		t.Error("a repeated e-mail was accepted")
	}
}

func fuzzSeeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds %s: %v", pattern, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkParsed is what must hold of any parse: an error has a position,
// and every person has a key and a line.
func checkParsed(t *testing.T, people []directory.Person, err error) {
	if err != nil {
		var fe *filefmt.Error
		if !errors.As(err, &fe) {
			t.Fatalf("error without position: %v", err)
		}
		return
	}
	for _, p := range people {
		if p.Key() == "" || p.Line < 1 {
			t.Fatalf("person without key or line: %+v", p)
		}
	}
	_, _ = directory.New(people)
}

func FuzzParseCSV(f *testing.F) {
	fuzzSeeds(f, "*.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		people, err := directory.Parse("fuzz.csv", data)
		checkParsed(t, people, err)
	})
}

func FuzzParseJSON(f *testing.F) {
	fuzzSeeds(f, "*.json")
	fuzzSeeds(f, "*.ndjson")
	f.Fuzz(func(t *testing.T, data []byte) {
		people, err := directory.Parse("fuzz.json", data)
		checkParsed(t, people, err)
	})
}
