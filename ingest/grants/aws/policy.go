package aws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

// Policy is an IAM policy document, parsed after AWS's policy grammar
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
type Policy struct {
	// Version is the policy language version, 2012-10-17 or 2008-10-17.
	Version string
	// Statements are the statements, in order.
	Statements []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	// Sid is the statement id, or "".
	Sid string
	// Deny is true for "Effect": "Deny".
	Deny bool
	// Actions are the Action patterns; NotAction is set when they are the
	// statement's NotAction (every action but these).
	Actions   []string
	NotAction bool
	// Resources are the Resource patterns; NotResource is set when they
	// are the statement's NotResource. A statement with neither (allowed in
	// trust policies only) has Resources ["*"].
	Resources   []string
	NotResource bool
	// Condition is the Condition block as compact JSON, or "".
	Condition string
}

// PolicyError is a policy document that does not follow the grammar, with
// the JSON path of the part at fault (relative to the document).
type PolicyError struct {
	Path  string
	Cause string
}

func (e *PolicyError) Error() string {
	if e.Path == "" {
		return e.Cause
	}
	return e.Path + ": " + e.Cause
}

// ParsePolicy parses a policy document: a JSON object, or a JSON string
// holding one, URL-encoded (as the IAM API returns documents) or not. A
// document that breaks the grammar is a *PolicyError naming the JSON path
// (from "$", the document) of the fault.
func ParsePolicy(raw json.RawMessage) (*Policy, error) {
	doc := bytes.TrimSpace(raw)
	if len(doc) > 0 && doc[0] == '"' {
		var s string
		if err := json.Unmarshal(doc, &s); err != nil {
			return nil, &PolicyError{Path: "$", Cause: "not a JSON string: " + err.Error()}
		}
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, "%") {
			u, err := url.QueryUnescape(s)
			if err != nil {
				return nil, &PolicyError{Path: "$", Cause: "URL-encoded document does not decode: " + err.Error()}
			}
			s = u
		}
		doc = []byte(s)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, &PolicyError{Path: "$", Cause: "not a JSON object: " + jsonCause(err)}
	}
	p := &Policy{}
	if v, ok := top["Version"]; ok {
		if err := json.Unmarshal(v, &p.Version); err != nil {
			return nil, &PolicyError{Path: "$.Version", Cause: "not a string"}
		}
		if p.Version != "2012-10-17" && p.Version != "2008-10-17" {
			return nil, &PolicyError{Path: "$.Version", Cause: fmt.Sprintf("%q is not a policy language version (2012-10-17 or 2008-10-17)", p.Version)}
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, &PolicyError{Path: "$", Cause: "no Statement"}
	}
	var list []json.RawMessage
	single := false
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		list, single = []json.RawMessage{raw}, true
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, &PolicyError{Path: "$.Statement", Cause: "not a statement or a list of statements"}
	}
	for i, r := range list {
		path := snapshot.JSONPath("$.Statement", i)
		if single {
			path = "$.Statement"
		}
		st, err := parseStatement(r, path)
		if err != nil {
			return nil, err
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func parseStatement(raw json.RawMessage, path string) (Statement, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return Statement{}, &PolicyError{Path: path, Cause: "not a JSON object"}
	}
	var st Statement
	if v, ok := m["Sid"]; ok {
		if err := json.Unmarshal(v, &st.Sid); err != nil {
			return st, &PolicyError{Path: path + ".Sid", Cause: "not a string"}
		}
	}
	var effect string
	if err := json.Unmarshal(m["Effect"], &effect); err != nil || m["Effect"] == nil {
		return st, &PolicyError{Path: path + ".Effect", Cause: "missing or not a string"}
	}
	switch effect {
	case "Allow":
	case "Deny":
		st.Deny = true
	default:
		return st, &PolicyError{Path: path + ".Effect", Cause: fmt.Sprintf("%q is neither Allow nor Deny", effect)}
	}
	var err error
	st.Actions, st.NotAction, err = pair(m, path, "Action", "NotAction", true)
	if err != nil {
		return st, err
	}
	for i, a := range st.Actions {
		if a != "*" && !strings.Contains(a, ":") {
			return st, &PolicyError{Path: snapshot.JSONPath(path+"."+elemName(st.NotAction, "Action"), i), Cause: fmt.Sprintf("%q is not * nor service:action", a)}
		}
	}
	st.Resources, st.NotResource, err = pair(m, path, "Resource", "NotResource", false)
	if err != nil {
		return st, err
	}
	if st.Resources == nil {
		st.Resources = []string{"*"}
	}
	if c, ok := m["Condition"]; ok {
		var cond map[string]map[string]json.RawMessage
		if err := json.Unmarshal(c, &cond); err != nil {
			return st, &PolicyError{Path: path + ".Condition", Cause: "not an object of condition operators to objects of keys"}
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, c); err != nil {
			return st, &PolicyError{Path: path + ".Condition", Cause: jsonCause(err)}
		}
		st.Condition = buf.String()
	}
	return st, nil
}

func elemName(not bool, name string) string {
	if not {
		return "Not" + name
	}
	return name
}

// pair reads one of two exclusive keys (Action or NotAction), each a string
// or a list of strings.
func pair(m map[string]json.RawMessage, path, yes, no string, required bool) ([]string, bool, error) {
	a, hasYes := m[yes]
	b, hasNo := m[no]
	switch {
	case hasYes && hasNo:
		return nil, false, &PolicyError{Path: path, Cause: fmt.Sprintf("both %s and %s", yes, no)}
	case !hasYes && !hasNo:
		if required {
			return nil, false, &PolicyError{Path: path, Cause: fmt.Sprintf("neither %s nor %s", yes, no)}
		}
		return nil, false, nil
	}
	key, raw := yes, a
	if hasNo {
		key, raw = no, b
	}
	vals, err := strings1(raw)
	if err != nil {
		return nil, false, &PolicyError{Path: path + "." + key, Cause: err.Error()}
	}
	if len(vals) == 0 {
		return nil, false, &PolicyError{Path: path + "." + key, Cause: "empty"}
	}
	return vals, hasNo, nil
}

// strings1 reads a string or a list of strings.
func strings1(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, errors.New("not a string or a list of strings")
	}
	return many, nil
}

// jsonCause is a JSON decoding error without the package prefix.
func jsonCause(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}
