package report

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aitdr/aitdr/schemas"
)

// The columns of the assumed inventory. A header names each column by its
// field name or one of its aliases, case, spaces, hyphens and dots not
// counting ("Identity ID", "identity-id" and "identity_id" are the same).
var assumedColumns = []struct {
	field   string
	aliases []string
}{
	{"id", []string{"identity_id", "identity", "principal", "principal_id", "uid", "arn", "account_id", "object_id", "client_id", "key_id"}},
	{"email", []string{"mail", "e_mail", "email_address", "user_email", "upn", "user_principal_name"}},
	{"name", []string{"display_name", "user_name", "username", "login", "full_name", "agent_name", "service_account", "account_name"}},
	{"aliases", []string{"alias", "other_names", "also_known_as"}},
	{"class", []string{"identity_class", "type", "identity_type", "category"}},
	{"owner", []string{"owner_email", "responsible", "manager", "contact"}},
	{"source", []string{"kind", "list", "origin", "inventory"}},
}

// classSynonyms maps the class values an assumed inventory may carry, after
// normalizing (lower case, spaces and hyphens as underscores), to classes.
var classSynonyms = map[string]schemas.IdentityClass{
	"ai_user":         schemas.ClassAIUser,
	"user":            schemas.ClassAIUser,
	"ai_builder":      schemas.ClassAIBuilder,
	"builder":         schemas.ClassAIBuilder,
	"ai_agent":        schemas.ClassAIAgent,
	"agent":           schemas.ClassAIAgent,
	"human":           schemas.ClassHuman,
	"person":          schemas.ClassHuman,
	"employee":        schemas.ClassHuman,
	"service":         schemas.ClassService,
	"service_account": schemas.ClassService,
}

// sourceClasses are the sources that say the class of a row whose class
// column is empty: a licence list holds AI users, an agent registry agents.
var sourceClasses = map[string]schemas.IdentityClass{
	"licence":          schemas.ClassAIUser,
	"license":          schemas.ClassAIUser,
	"seat":             schemas.ClassAIUser,
	"ml_platform":      schemas.ClassAIBuilder,
	"registered_agent": schemas.ClassAIAgent,
	"agent_registry":   schemas.ClassAIAgent,
	"service_account":  schemas.ClassService,
	"directory":        schemas.ClassHuman,
}

// maxFieldLen bounds every field of the assumed inventory; longer values are
// not names but pasted mistakes.
const maxFieldLen = 1024

// Entry is one row of the assumed inventory: an identity the customer
// believes exists (a licence, a registered agent, a known service account).
type Entry struct {
	// Line is the line of the row in the file, from 1.
	Line int `json:"line"`
	// ID is the identity id as the customer knows it: an aitdr identity id,
	// a provider id (an ARN, an object id) or the native id.
	ID string `json:"id,omitempty"`
	// Email is the e-mail address, lower case.
	Email string `json:"email,omitempty"`
	// Name is the display, login or agent name.
	Name string `json:"name,omitempty"`
	// Aliases are other names of the identity.
	Aliases []string `json:"aliases,omitempty"`
	// Class is the class the customer assumes.
	Class schemas.IdentityClass `json:"class"`
	// Owner is the person responsible, as the customer names them.
	Owner string `json:"owner,omitempty"`
	// Source is the list the row comes from (licence, registered_agent,
	// service_account, or the customer's own word).
	Source string `json:"source,omitempty"`
}

// Label is how the entry is shown: its id, else its e-mail, else its name.
func (e Entry) Label() string {
	switch {
	case e.ID != "":
		return e.ID
	case e.Email != "":
		return e.Email
	}
	return e.Name
}

// key is what makes two rows the same entry: the first of id, e-mail and
// name, lower case.
func (e Entry) key() string {
	switch {
	case e.ID != "":
		return "id:" + strings.ToLower(e.ID)
	case e.Email != "":
		return "email:" + e.Email
	}
	return "name:" + strings.ToLower(e.Name)
}

// Issue is a problem of the assumed inventory file at a place: a bad row,
// reported and skipped, or a bad header, which rejects the file.
type Issue struct {
	// File is the file's name as given.
	File string `json:"file"`
	// Line is the line, from 1.
	Line int `json:"line"`
	// Column is the column in the line (a byte index, from 1) of the field
	// at fault, or 0 when the whole row is.
	Column int `json:"column,omitempty"`
	// Cause says what is wrong.
	Cause string `json:"cause"`
}

// Error returns "file:line[:column]: cause".
func (i Issue) Error() string {
	if i.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", i.File, i.Line, i.Column, i.Cause)
	}
	return fmt.Sprintf("%s:%d: %s", i.File, i.Line, i.Cause)
}

// Assumed is the assumed inventory: the rows of the customer's CSV that
// could be read, and the rows that could not.
type Assumed struct {
	// File is the file's name as given.
	File string `json:"file"`
	// Entries are the good rows, in file order.
	Entries []Entry `json:"entries"`
	// BadRows are the rows skipped, each with its line and cause.
	BadRows []Issue `json:"bad_rows"`
	// IgnoredColumns are the header's columns that name no field.
	IgnoredColumns []string `json:"ignored_columns"`
}

// ReadAssumed reads the assumed inventory CSV at path (see ParseAssumed).
func ReadAssumed(path string) (*Assumed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read assumed inventory: %w", err)
	}
	defer f.Close()
	return ParseAssumed(path, f)
}

// ParseAssumed parses an assumed inventory CSV named name. The first line
// that is not a comment (#) is the header; the separator is the comma, or
// the semicolon or tab when the header has no comma. Columns are matched by
// name or alias, in any order; unknown columns are listed in
// IgnoredColumns. A row needs an id, an e-mail or a name, and a class
// (from the class column, or implied by the source column). A bad row
// (wrong field count, a quote error, an invalid e-mail or class, a
// duplicate) becomes an Issue in BadRows and is skipped; the error is for a
// file that cannot be used at all: unreadable, empty, or a header naming no
// id, e-mail or name column, or one field twice.
func ParseAssumed(name string, r io.Reader) (*Assumed, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// Spreadsheets save a byte order mark before the header.
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	sep, err := sniffSeparator(br)
	if err != nil {
		return nil, fmt.Errorf("read assumed inventory %s: %w", name, err)
	}
	cr := csv.NewReader(br)
	cr.Comma = sep
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	out := &Assumed{File: name, Entries: []Entry{}, BadRows: []Issue{}, IgnoredColumns: []string{}}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, Issue{File: name, Line: 1, Cause: "the file is empty: want a header line naming the columns (id, email, name, class, ...)"}
	}
	if err != nil {
		return nil, csvIssue(name, err)
	}
	headerLine, _ := cr.FieldPos(0)
	cols, ignored, issue := mapHeader(header)
	if issue != nil {
		issue.File, issue.Line = name, headerLine
		if issue.Column > 0 {
			_, issue.Column = cr.FieldPos(issue.Column - 1)
		}
		return nil, *issue
	}
	out.IgnoredColumns = ignored
	width := len(header)

	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("read assumed inventory %s: %w", name, err)
			}
			out.BadRows = append(out.BadRows, csvIssue(name, err))
			// A quote error ends the reader's view of the row; it goes
			// on with the next line.
			continue
		}
		line, _ := cr.FieldPos(0)
		if !slices.ContainsFunc(rec, func(f string) bool { return strings.TrimSpace(f) != "" }) {
			continue // a blank row, as spreadsheets export below the data: nothing to use or lose
		}
		if len(rec) != width {
			out.BadRows = append(out.BadRows, Issue{File: name, Line: line,
				Cause: fmt.Sprintf("%d fields, the header has %d", len(rec), width)})
			continue
		}
		e, issue := parseEntry(rec, cols)
		if issue != nil {
			issue.File, issue.Line = name, line
			if issue.Column > 0 {
				_, issue.Column = cr.FieldPos(issue.Column - 1)
			}
			out.BadRows = append(out.BadRows, *issue)
			continue
		}
		e.Line = line
		if first, dup := seen[e.key()]; dup {
			out.BadRows = append(out.BadRows, Issue{File: name, Line: line,
				Cause: fmt.Sprintf("duplicate of line %d (%s)", first, e.Label())})
			continue
		}
		seen[e.key()] = line
		out.Entries = append(out.Entries, e)
	}
	return out, nil
}

// sniffSeparator returns the separator of the header line: a comma unless
// the header has none and has semicolons or tabs. It looks at the first
// 64 KiB: a header longer than that is taken as comma-separated.
func sniffSeparator(br *bufio.Reader) (rune, error) {
	b, err := br.Peek(br.Size())
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		switch {
		case bytes.ContainsRune(line, ','):
		case bytes.ContainsRune(line, ';'):
			return ';', nil
		case bytes.ContainsRune(line, '\t'):
			return '\t', nil
		}
		break
	}
	return ',', nil
}

// columnMap gives, for each field, the index of its column, or -1.
type columnMap map[string]int

// normalizeName folds a header name or a class or source value: lower case,
// trimmed, with runs of spaces, hyphens and dots as one underscore.
func normalizeName(s string) string {
	var b strings.Builder
	pending := false
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r == ' ' || r == '-' || r == '.' || r == '_' || r == '\t':
			pending = b.Len() > 0
		default:
			if pending {
				b.WriteByte('_')
				pending = false
			}
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// mapHeader maps the header's columns to fields; an Issue's Column is the
// field at fault, from 1.
func mapHeader(header []string) (columnMap, []string, *Issue) {
	cols := columnMap{}
	for _, c := range assumedColumns {
		cols[c.field] = -1
	}
	ignored := []string{}
	for i, h := range header {
		n := normalizeName(h)
		field := ""
		for _, c := range assumedColumns {
			if n == c.field || slices.Contains(c.aliases, n) {
				field = c.field
				break
			}
		}
		if field == "" {
			ignored = append(ignored, strings.TrimSpace(h))
			continue
		}
		if j := cols[field]; j >= 0 {
			return nil, nil, &Issue{Column: i + 1,
				Cause: fmt.Sprintf("columns %q and %q both name the %s field", header[j], h, field)}
		}
		cols[field] = i
	}
	if cols["id"] < 0 && cols["email"] < 0 && cols["name"] < 0 {
		return nil, nil, &Issue{Cause: fmt.Sprintf(
			"the header %q names no id, email or name column (see the aliases in docs/discover.md)", strings.Join(header, ","))}
	}
	return cols, ignored, nil
}

// parseEntry makes an entry of a row; an Issue's Column is the field at
// fault, from 1, which the caller turns into the column in the line.
func parseEntry(rec []string, cols columnMap) (Entry, *Issue) {
	field := func(name string) (string, int) {
		i := cols[name]
		if i < 0 {
			return "", 0
		}
		return strings.TrimSpace(rec[i]), i + 1
	}
	for _, c := range assumedColumns {
		i := cols[c.field]
		if i < 0 {
			continue
		}
		v := rec[i]
		if len(v) > maxFieldLen {
			return Entry{}, &Issue{Column: i + 1, Cause: fmt.Sprintf("a field of %d bytes, more than %d", len(v), maxFieldLen)}
		}
		if !utf8.ValidString(v) {
			return Entry{}, &Issue{Column: i + 1, Cause: "a field is not valid UTF-8"}
		}
		if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) {
			return Entry{}, &Issue{Column: i + 1, Cause: "a field holds a control character"}
		}
	}
	var e Entry
	e.ID, _ = field("id")
	email, emailCol := field("email")
	e.Name, _ = field("name")
	if aliases, _ := field("aliases"); aliases != "" {
		for a := range strings.FieldsFuncSeq(aliases, func(r rune) bool { return r == ';' || r == '|' }) {
			if a = strings.TrimSpace(a); a != "" && !slices.Contains(e.Aliases, a) {
				e.Aliases = append(e.Aliases, a)
			}
		}
	}
	e.Owner, _ = field("owner")
	e.Source, _ = field("source")
	if e.ID == "" && email == "" && e.Name == "" {
		return Entry{}, &Issue{Cause: "no id, email or name: the row names no identity"}
	}
	if email != "" {
		addr, err := mail.ParseAddress(email)
		_, domain, _ := strings.Cut(email, "@")
		if err != nil || !strings.EqualFold(addr.Address, email) || !strings.Contains(strings.Trim(domain, "."), ".") {
			return Entry{}, &Issue{Column: emailCol, Cause: fmt.Sprintf("email %q is not an e-mail address", email)}
		}
		e.Email = strings.ToLower(email)
	}
	class, classCol := field("class")
	switch {
	case class != "":
		c, ok := classSynonyms[normalizeName(class)]
		if !ok {
			return Entry{}, &Issue{Column: classCol, Cause: fmt.Sprintf(
				"class %q: want ai_user, ai_builder, ai_agent, human or service", class)}
		}
		e.Class = c
	default:
		c, ok := sourceClasses[normalizeName(e.Source)]
		if !ok {
			return Entry{}, &Issue{Cause: fmt.Sprintf(
				"no class: give a class, or a source of licence, license, seat, ml_platform, registered_agent, agent_registry, service_account or directory (source is %q)", e.Source)}
		}
		e.Class = c
	}
	return e, nil
}

// csvIssue turns an error of encoding/csv into an Issue.
func csvIssue(name string, err error) Issue {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.StartLine != pe.Line {
			// A quoted field ran on: the row is where it started.
			return Issue{File: name, Line: pe.StartLine,
				Cause: fmt.Sprintf("%v (line %d, column %d)", pe.Err, pe.Line, pe.Column)}
		}
		return Issue{File: name, Line: pe.Line, Column: pe.Column, Cause: pe.Err.Error()}
	}
	return Issue{File: name, Line: 1, Cause: err.Error()}
}
