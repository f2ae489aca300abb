package report_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/enrich/report"
	"github.com/aitdr/aitdr/schemas"
)

// TestParseAssumed shows how rows of the assumed inventory are read: header
// aliases in any order and case, classes given or implied by the source,
// and each bad row reported with its line (and column) and skipped.
func TestParseAssumed(t *testing.T) {
	type entry struct {
		line                    int
		id, email, name, source string
		class                   schemas.IdentityClass
		aliases                 []string
	}
	for _, c := range []struct {
		name    string
		csv     string
		entries []entry
		bad     []string
		ignored []string
	}{
		{
			name: "canonical header",
			csv:  "id,email,name,aliases,class,owner,source\nokta:acme:00u1,Alice@Acme.example,Alice,al|ally,ai_user,,licence\n",
			entries: []entry{{line: 2, id: "okta:acme:00u1", email: "alice@acme.example", name: "Alice",
				aliases: []string{"al", "ally"}, class: schemas.ClassAIUser, source: "licence"}},
		},
		{
			name: "aliases and spacing in the header",
			csv:  " User Principal Name ; Agent-Name ; TYPE ;Kind\nbot@acme.example;bot;Agent;registered agent\n",
			entries: []entry{{line: 2, email: "bot@acme.example", name: "bot", class: schemas.ClassAIAgent,
				source: "registered agent"}},
		},
		{
			name:    "tab separated, with a byte order mark and comments",
			csv:     "\ufeff# exported\n# by hand\nARN\tclass\narn:aws:iam::1:role/x\tservice account\n",
			entries: []entry{{line: 4, id: "arn:aws:iam::1:role/x", class: schemas.ClassService}},
		},
		{
			name: "class implied by the source",
			csv:  "email,source\na@acme.example,Licence\nb@acme.example,registered_agent\nc@acme.example,service-account\nd@acme.example,ML platform\ne@acme.example,directory\n",
			entries: []entry{
				{line: 2, email: "a@acme.example", class: schemas.ClassAIUser, source: "Licence"},
				{line: 3, email: "b@acme.example", class: schemas.ClassAIAgent, source: "registered_agent"},
				{line: 4, email: "c@acme.example", class: schemas.ClassService, source: "service-account"},
				{line: 5, email: "d@acme.example", class: schemas.ClassAIBuilder, source: "ML platform"},
				{line: 6, email: "e@acme.example", class: schemas.ClassHuman, source: "directory"},
			},
		},
		{
			name: "a quoted field over two lines keeps the row's first line",
			csv:  "name,notes,class\nbot,\"built by\nthe ML team\",agent\nnext,,human\n",
			entries: []entry{
				{line: 2, name: "bot", class: schemas.ClassAIAgent},
				{line: 4, name: "next", class: schemas.ClassHuman},
			},
			ignored: []string{"notes"},
		},
		{
			name:    "unknown columns are ignored and listed",
			csv:     "email,class,cost center,seat type\na@acme.example,ai_user,cc1,enterprise\n",
			entries: []entry{{line: 2, email: "a@acme.example", class: schemas.ClassAIUser}},
			ignored: []string{"cost center", "seat type"},
		},
		{
			name: "bad rows are skipped, the good ones kept",
			csv: "email,name,class,source\n" +
				"good@acme.example,Good,ai_user,\n" + // 2
				",,ai_user,\n" + // 3
				"not-an-address,X,ai_user,\n" + // 4
				"Name <n@acme.example>,N,ai_user,\n" + // 5
				"x@acme.example,X,wizard,\n" + // 6
				"y@acme.example,Y,,payroll\n" + // 7
				"GOOD@acme.example,Again,ai_agent,\n" + // 8
				"z@acme.example,Z\n" + // 9
				"q@acme.example,Q \"quoted\",ai_user,\n" + // 10
				"w@acme.example,\x01,ai_user,\n" + // 11
				"last@acme.example,Last,human,\n" + // 12
				",,,\n" + " , ,,\n", // blank rows: skipped without a word
			entries: []entry{
				{line: 2, email: "good@acme.example", name: "Good", class: schemas.ClassAIUser},
				{line: 12, email: "last@acme.example", name: "Last", class: schemas.ClassHuman},
			},
			bad: []string{
				"in.csv:3: no id, email or name: the row names no identity",
				`in.csv:4:1: email "not-an-address" is not an e-mail address`,
				`in.csv:5:1: email "Name <n@acme.example>" is not an e-mail address`,
				`in.csv:6:18: class "wizard": want ai_user, ai_builder, ai_agent, human or service`,
				`in.csv:7: no class: give a class, or a source of licence, license, seat, ml_platform, registered_agent, agent_registry, service_account or directory (source is "payroll")`,
				"in.csv:8: duplicate of line 2 (good@acme.example)",
				"in.csv:9: 2 fields, the header has 4",
				`in.csv:10:18: bare " in non-quoted-field`,
				"in.csv:11:16: a field holds a control character",
			},
		},
		{
			name:    "a field far too long",
			csv:     "name,class\n" + strings.Repeat("n", 2000) + ",human\nok,human\n",
			entries: []entry{{line: 3, name: "ok", class: schemas.ClassHuman}},
			bad:     []string{"in.csv:2:1: a field of 2000 bytes, more than 1024"},
		},
		{
			name:    "an unterminated quote ends the file",
			csv:     "name,class\nok,human\n\"open,human\nlost,human\n",
			entries: []entry{{line: 2, name: "ok", class: schemas.ClassHuman}},
			bad:     []string{`in.csv:3: extraneous or missing " in quoted-field (line 4, column 12)`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := report.ParseAssumed("in.csv", strings.NewReader(c.csv))
			if err != nil {
				t.Fatal(err)
			}
			var got []entry
			for _, e := range a.Entries {
				got = append(got, entry{line: e.Line, id: e.ID, email: e.Email, name: e.Name, source: e.Source,
					class: e.Class, aliases: e.Aliases})
			}
			if !slices.EqualFunc(got, c.entries, func(a, b entry) bool {
				return a.line == b.line && a.id == b.id && a.email == b.email && a.name == b.name &&
					a.source == b.source && a.class == b.class && slices.Equal(a.aliases, b.aliases)
			}) {
				t.Errorf("entries:\n got %+v\nwant %+v", got, c.entries)
			}
			var bad []string
			for _, b := range a.BadRows {
				bad = append(bad, b.Error())
			}
			if !slices.Equal(bad, c.bad) {
				t.Errorf("bad rows:\n got %q\nwant %q", bad, c.bad)
			}
			if !slices.Equal(a.IgnoredColumns, orEmpty(c.ignored)) {
				t.Errorf("ignored columns %q, want %q", a.IgnoredColumns, c.ignored)
			}
		})
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// TestParseAssumedRejectsTheFile shows the files that cannot be used at
// all: the error names the file, the line and the cause.
func TestParseAssumedRejectsTheFile(t *testing.T) {
	for _, c := range []struct{ name, csv, err string }{
		{"empty", "", "in.csv:1: the file is empty: want a header line naming the columns (id, email, name, class, ...)"},
		{"only comments", "# nothing\n", "in.csv:1: the file is empty: want a header line naming the columns (id, email, name, class, ...)"},
		{"no identifying column", "# x\nclass,owner\nai_user,me\n",
			`in.csv:2: the header "class,owner" names no id, email or name column (see the aliases in docs/discover.md)`},
		{"a field named twice", "email,mail,class\n", `in.csv:1:7: columns "email" and "mail" both name the email field`},
		{"a broken header", "\"email,class\n", `in.csv:1:14: extraneous or missing " in quoted-field`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := report.ParseAssumed("in.csv", strings.NewReader(c.csv))
			if err == nil || err.Error() != c.err {
				t.Fatalf("error %v, want %q", err, c.err)
			}
			var issue report.Issue
			if !errors.As(err, &issue) || issue.File != "in.csv" || issue.Line < 1 {
				t.Errorf("the error is not an Issue naming the file and line: %#v", err)
			}
		})
	}
	if _, err := report.ReadAssumed(filepath.Join(t.TempDir(), "missing.csv")); err == nil ||
		!strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("a missing file: %v", err)
	}
}

// FuzzParseAssumed feeds the parser arbitrary files: it never panics, every
// entry it keeps names an identity with a valid class, every bad row has a
// line, and the same input always gives the same answer.
func FuzzParseAssumed(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.csv"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("email;class\na@b.example;agent\n"))
	f.Add([]byte("name,class\n\"x\ny\",human\n\"open"))
	f.Add([]byte("\ufeffid\tsource\nx\tlicence\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := report.ParseAssumed("fuzz.csv", strings.NewReader(string(b)))
		if err != nil {
			var issue report.Issue
			if !errors.As(err, &issue) || issue.Line < 1 {
				t.Fatalf("a rejected file without a line: %v", err)
			}
			return
		}
		lines := map[int]bool{}
		for _, e := range a.Entries {
			if e.Label() == "" || !slices.Contains(report.Classes, string(e.Class)) || e.Line < 2 {
				t.Fatalf("entry %+v", e)
			}
			if e.Email != strings.ToLower(e.Email) || (e.Email != "" && !strings.Contains(e.Email, "@")) {
				t.Fatalf("entry e-mail %q", e.Email)
			}
			if lines[e.Line] {
				t.Fatalf("two entries on line %d", e.Line)
			}
			lines[e.Line] = true
		}
		for _, r := range a.BadRows {
			if r.Line < 1 || r.Cause == "" || r.File != "fuzz.csv" {
				t.Fatalf("bad row %+v", r)
			}
		}
		again, err := report.ParseAssumed("fuzz.csv", strings.NewReader(string(b)))
		if err != nil || len(again.Entries) != len(a.Entries) || len(again.BadRows) != len(a.BadRows) {
			t.Fatalf("a second parse differs: %v", err)
		}
	})
}
