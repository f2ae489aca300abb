package directory

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/aitdr/aitdr/enrich/internal/filefmt"
	"github.com/aitdr/aitdr/enrich/workhours"
)

// Column and field names recognized, in order of preference, in their
// normalized form (lower case, letters and digits only): "profile.login"
// and "Profile Login" are both "profilelogin".
var (
	emailNames    = []string{"email", "mail", "primaryemail", "emailaddress", "workemail", "profileemail", "emails"}
	userNames     = []string{"login", "username", "userprincipalname", "upn", "samaccountname", "profilelogin"}
	displayNames  = []string{"displayname", "fullname", "profiledisplayname", "nameformatted", "formatted", "name"}
	firstNames    = []string{"firstname", "givenname", "profilefirstname", "namegivenname"}
	lastNames     = []string{"lastname", "surname", "familyname", "profilelastname", "namefamilyname"}
	managerNames  = []string{"manageremail", "managermail", "managerupn", "managerlogin", "manager", "profilemanager", "managervalue", "managerid", "profilemanagerid"}
	teamNames     = []string{"team", "teamname", "profileteam"}
	deptNames     = []string{"department", "profiledepartment", "dept", "division"}
	accountNames  = []string{"linkedaccounts", "accounts", "otheraccounts", "aliases", "identities", "githublogin", "github", "githubusername", "othermails", "proxyaddresses"}
	nativeIDNames = []string{"id", "objectid", "userid", "externalid", "employeeid"}
	// A workload's entry (a CMDB or service-account register row) names its
	// owner and the identity it is.
	ownerNames            = []string{"owneremail", "owner", "ownedby", "ownedbyemail", "technicalowner", "serviceowner"}
	workloadIdentityNames = []string{"identityid", "principalid", "principal"}
	// Time zones and working hours: flat columns, Okta and SCIM timezone,
	// OpenID zoneinfo, Microsoft Graph mailboxSettings (timeZone and
	// workingHours with daysOfWeek, startTime, endTime, timeZone.name).
	timeZoneNames = []string{"timezone", "tz", "zoneinfo", "timezonename", "profiletimezone", "mailboxsettingstimezone",
		"workinghourstimezone", "workinghourstimezonename", "mailboxsettingsworkinghourstimezonename"}
	workStartNames = []string{"workinghoursstart", "workstart", "workdaystart", "workinghoursstarttime", "mailboxsettingsworkinghoursstarttime"}
	workEndNames   = []string{"workinghoursend", "workend", "workdayend", "workinghoursendtime", "mailboxsettingsworkinghoursendtime"}
	workDayNames   = []string{"workingdays", "workdays", "workinghoursdays", "workinghoursdaysofweek", "mailboxsettingsworkinghoursdaysofweek"}
)

// normalize returns a column or field name in the form the lists above use.
func normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// record is one person's fields by normalized name.
type record map[string]string

func (r record) first(names []string) string {
	for _, n := range names {
		if v := strings.TrimSpace(r[n]); v != "" {
			return v
		}
	}
	return ""
}

// person builds a Person from a record, or says why it cannot.
func (r record) person(file string, line int) (Person, string) {
	p := Person{File: file, Line: line}
	p.Email = strings.ToLower(r.first(emailNames))
	p.UserName = strings.ToLower(r.first(userNames))
	if p.Email == "" && strings.Contains(p.UserName, "@") {
		p.Email = p.UserName
	}
	if p.Email == "" && p.UserName == "" {
		// A workload's entry is known by the identity it is.
		p.UserName = strings.ToLower(r.first(workloadIdentityNames))
	}
	if p.Email == "" && p.UserName == "" {
		return p, "no e-mail address and no user name"
	}
	if p.Email != "" && (strings.Count(p.Email, "@") != 1 || strings.HasPrefix(p.Email, "@") || strings.HasSuffix(p.Email, "@")) {
		return p, fmt.Sprintf("e-mail %q is not an address", p.Email)
	}
	p.DisplayName = r.first(displayNames)
	if p.DisplayName == "" {
		p.DisplayName = strings.TrimSpace(r.first(firstNames) + " " + r.first(lastNames))
	}
	p.Manager = strings.ToLower(r.first(managerNames))
	p.Owner = strings.ToLower(r.first(ownerNames))
	if tz := r.first(timeZoneNames); tz != "" {
		loc, err := workhours.LoadZone(tz)
		if err != nil {
			return p, "time zone: " + err.Error()
		}
		p.TimeZone = loc
	}
	start, end, days := r.first(workStartNames), r.first(workEndNames), r.first(workDayNames)
	switch {
	case start != "" || end != "":
		h, err := workhours.Parse(days, start, end)
		if err != nil {
			return p, err.Error()
		}
		p.WorkingHours = h
	case days != "":
		return p, "working days without the working hours' start and end"
	}
	p.Team = r.first(teamNames)
	if p.Team == "" {
		p.Team = r.first(deptNames)
	}
	seen := map[string]bool{p.Email: true, p.UserName: true}
	add := func(v string) {
		v = strings.ToLower(strings.TrimSpace(v))
		v = strings.TrimPrefix(v, "smtp:")
		if v != "" && !seen[v] {
			seen[v] = true
			p.Accounts = append(p.Accounts, v)
		}
	}
	for _, n := range accountNames {
		for _, v := range strings.FieldsFunc(r[n], func(c rune) bool { return c == ';' || c == ',' || c == '|' || c == ' ' || c == '\n' }) {
			add(v)
		}
	}
	for _, n := range workloadIdentityNames {
		add(r[n])
	}
	for _, n := range nativeIDNames {
		add(r[n])
	}
	return p, ""
}

func parseCSV(name string, data []byte) ([]Person, error) {
	errs := filefmt.Errors{File: name}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			errs.At(1, 0, "empty file: want a header row and one row per person")
			return nil, errs.Err()
		}
		csvError(&errs, err)
		return nil, errs.Err()
	}
	cols := make([]string, len(header))
	known := false
	for i, h := range header {
		cols[i] = normalize(h)
		for _, n := range slices.Concat(emailNames, userNames, workloadIdentityNames) {
			if cols[i] == n {
				known = true
			}
		}
	}
	if !known {
		errs.At(1, 1, "no e-mail or user-name column in the header (want one of email, mail, login, userName, userPrincipalName, profile.login, profile.email, or identity_id for workloads)")
		return nil, errs.Err()
	}
	var people []Person
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			csvError(&errs, err)
			if errs.Len() >= filefmt.MaxErrors {
				break
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				continue // the row is skipped, the next ones are read
			}
			break
		}
		line, _ := cr.FieldPos(0)
		rec := make(record, len(row))
		for i, v := range row {
			if cols[i] != "" {
				if _, dup := rec[cols[i]]; !dup {
					rec[cols[i]] = v
				}
			}
		}
		p, problem := rec.person(name, line)
		if problem != "" {
			errs.At(line, 1, "%s", problem)
			continue
		}
		people = append(people, p)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return people, nil
}

func csvError(errs *filefmt.Errors, err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		errs.At(pe.Line, pe.Column, "%s", pe.Err.Error())
		return
	}
	errs.At(0, 0, "%s", err.Error())
}

// wrapperKeys are the keys of JSON exports that hold the list of people:
// Microsoft Graph ("value"), SCIM ("Resources"), and common others.
var wrapperKeys = []string{"value", "resources", "users", "people", "members", "data", "items"}

func parseJSON(name string, data []byte) ([]Person, error) {
	errs := filefmt.Errors{File: name}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// jsonErr records a decoding error. The offsets of a json.Decoder's
	// errors are relative to where its buffer was when the value began, so
	// the value starting at start is decoded again alone to place the
	// error: the byte at the error's offset minus one.
	jsonErr := func(err error, start int64) {
		off := dec.InputOffset()
		if start >= 0 && start < int64(len(data)) {
			var v any
			again := json.NewDecoder(bytes.NewReader(data[start:])).Decode(&v)
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(again, &se):
				off = start + se.Offset - 1
			case errors.As(again, &te):
				off = start + te.Offset - 1
			}
			if again != nil {
				err = again
			}
		}
		line, col := filefmt.LineCol(data, off)
		errs.At(line, col, "%s", err.Error())
	}
	var people []Person
	// one decodes the object at the decoder's position as a person.
	one := func() bool {
		start := skipSpace(data, dec.InputOffset())
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			jsonErr(err, start)
			return false
		}
		line, _ := filefmt.LineCol(data, start)
		if obj == nil {
			errs.At(line, 0, "want an object per person, not null")
			return true
		}
		rec := record{}
		flatten(rec, "", obj, 0)
		p, problem := rec.person(name, line)
		if problem != "" {
			errs.At(line, 0, "%s", problem)
			return true
		}
		people = append(people, p)
		return true
	}
	// list reads the array whose '[' was just read.
	list := func() {
		for dec.More() {
			if !one() || errs.Len() >= filefmt.MaxErrors {
				return
			}
		}
		if _, err := dec.Token(); err != nil {
			jsonErr(err, -1)
		}
	}
	first := skipSpace(data, 0)
	if first >= int64(len(data)) {
		errs.At(1, 0, "empty file: want a JSON array of people, an export object holding one, or one object per line")
		return nil, errs.Err()
	}
	switch data[first] {
	case '[':
		if _, err := dec.Token(); err != nil {
			jsonErr(err, -1)
			break
		}
		list()
		if errs.Len() == 0 {
			if _, err := dec.Token(); !errors.Is(err, io.EOF) {
				line, col := filefmt.LineCol(data, skipSpace(data, dec.InputOffset()))
				errs.At(line, col, "unexpected data after the list of people")
			}
		}
	case '{':
		if wrapped, ok := wrapperOf(data); ok {
			if _, err := dec.Token(); err != nil { // {
				jsonErr(err, -1)
				break
			}
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					jsonErr(err, -1)
					break
				}
				key, _ := tok.(string)
				if strings.EqualFold(key, wrapped) {
					if t, err := dec.Token(); err != nil {
						jsonErr(err, -1)
						break
					} else if d, ok := t.(json.Delim); !ok || d != '[' {
						line, col := filefmt.LineCol(data, dec.InputOffset())
						errs.At(line, col, "%q: want a list of people", key)
						break
					}
					list()
					continue
				}
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					jsonErr(err, -1)
					break
				}
			}
			break
		}
		// One object per line (or a stream of objects).
		for {
			if skipSpace(data, dec.InputOffset()) >= int64(len(data)) {
				break
			}
			if !one() || errs.Len() >= filefmt.MaxErrors {
				break
			}
		}
	default:
		line, col := filefmt.LineCol(data, first)
		errs.At(line, col, "want a JSON array of people, an export object holding one, or one object per line")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return people, nil
}

// wrapperOf reports whether data is one JSON object holding the list of
// people under one of wrapperKeys, and the key as written.
func wrapperOf(data []byte) (string, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		// Not one object: a stream of objects, or broken (reported while
		// reading it).
		return "", false
	}
	for _, w := range wrapperKeys {
		for k, v := range top {
			if strings.EqualFold(k, w) && len(bytes.TrimSpace(v)) > 0 && bytes.TrimSpace(v)[0] == '[' {
				return k, true
			}
		}
	}
	return "", false
}

func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// flatten sets rec's fields from a JSON object: scalars under their
// normalized key prefixed by their parent's ("manager" + "mail"), and also
// bare inside the containers exports use for a person's own attributes
// (Okta's "profile", SCIM extensions named by URN); SCIM multi-valued
// attributes under their primary (or first) value; lists of strings joined
// with ";". Scalars of an object are set before its nested objects are
// walked, nested objects in key order, and the first value set for a key
// wins, so the result does not depend on map order.
func flatten(rec record, parent string, obj map[string]any, depth int) {
	if depth > 4 {
		return
	}
	bare := parent == "" || parent == "profile" || strings.HasPrefix(parent, "urn")
	set := func(k, v string) {
		if v == "" {
			return
		}
		if _, ok := rec[parent+k]; !ok {
			rec[parent+k] = v
		}
		if bare {
			if _, ok := rec[k]; !ok {
				rec[k] = v
			}
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var nested []string
	for _, k := range keys {
		nk := normalize(k)
		switch x := obj[k].(type) {
		case string:
			set(nk, x)
		case json.Number:
			set(nk, x.String())
		case bool:
			set(nk, strconv.FormatBool(x))
		case map[string]any:
			nested = append(nested, k)
		case []any:
			var strs []string
			primary, objects := "", false
			for _, it := range x {
				switch e := it.(type) {
				case string:
					strs = append(strs, e)
				case map[string]any:
					objects = true
					val, _ := e["value"].(string)
					if p, _ := e["primary"].(bool); p && primary == "" {
						primary = val
					}
					if val != "" {
						strs = append(strs, val)
					}
				}
			}
			if objects {
				if primary == "" && len(strs) > 0 {
					primary = strs[0]
				}
				set(nk, primary)
				continue
			}
			set(nk, strings.Join(strs, ";"))
		}
	}
	for _, k := range nested {
		flatten(rec, normalize(k), obj[k].(map[string]any), depth+1)
	}
}
