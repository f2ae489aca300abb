package mapping

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// Report is what Check found: what each event field of a sample record
// maps to under a mapping, and which paths the sample lacks. It marshals to
// JSON for tools.
type Report struct {
	// File is the mapping file.
	File string `json:"file"`
	// Product is the mapping's product.
	Product schemas.Product `json:"product"`
	// Detect is the mapping's detect rule and whether the sample matches
	// it, or "no detect rule".
	Detect string `json:"detect"`
	// Split says whether the sample is a delivery of several records (the
	// first is checked) or a single record; empty when the mapping does
	// not split.
	Split string `json:"split,omitempty"`
	// Fields are the event fields the mapping sets, in name order.
	Fields []*FieldReport `json:"fields"`
	// Category says which category rule matched, or none.
	Category string `json:"category"`
	// Missing lists the paths the sample does not have, sorted.
	Missing []string `json:"missing,omitempty"`
	// Event is the normalized event, when the sample normalizes.
	Event *schemas.Event `json:"event,omitempty"`
	// Error is why the sample does not normalize, when it does not.
	Error string `json:"error,omitempty"`
	// Invalid lists how the normalized event breaks the event contract
	// (schemas.Event.Validate), when it does.
	Invalid []string `json:"invalid,omitempty"`
}

// FieldReport is what one event field maps to.
type FieldReport struct {
	// Target is the event field, such as "identity.id".
	Target string `json:"target"`
	// Source is where its value comes from: "path $.user.id",
	// "template …", "constant human", "rule …" or "default …".
	Source string `json:"source"`
	// Value is the value the sample gives it, empty when none.
	Value string `json:"value,omitempty"`
	// Missing lists the paths of the source the sample does not have.
	Missing []string `json:"missing,omitempty"`
	// Problem says what is wrong with the sample's value.
	Problem string `json:"problem,omitempty"`
}

// Check loads the mapping file and reports what the sample record maps to,
// field by field, with the paths the sample lacks; the error is for a
// mapping that does not load. A sample that does not normalize is reported,
// not returned as an error. Events are checked against a clock of
// time.Now.
func Check(mappingFile string, sample []byte) (*Report, error) {
	m, err := Load(mappingFile)
	if err != nil {
		return nil, err
	}
	return New(m).Check(sample), nil
}

// Check reports what the sample record maps to under the Source's mapping.
func (s *Source) Check(sample []byte) *Report {
	m := s.m
	r := &Report{File: m.file, Product: m.product, Detect: "no detect rule", Category: "no rule matched: other"}
	if m.split != nil {
		var records [][]byte
		split, err := s.Split(sample, func(rec []byte) error {
			records = append(records, bytes.Clone(rec))
			return nil
		})
		switch {
		case err != nil:
			r.Split = err.Error()
		case split && len(records) == 0:
			r.Split = fmt.Sprintf("the sample holds no records at %s", m.split.text)
		case split:
			r.Split = fmt.Sprintf("the sample holds %d records at %s; the first is checked", len(records), m.split.text)
			sample = records[0]
		default:
			r.Split = fmt.Sprintf("the sample has no array at %s: a single record", m.split.text)
		}
	}
	if m.detect != nil {
		if s.Detect(sample) {
			r.Detect = "matched: " + m.detect.String()
		} else {
			r.Detect = "not matched: " + m.detect.String()
		}
	}

	tr := &trace{fields: map[string]*FieldReport{}, rule: -1}
	var ev schemas.Event
	err := s.normalize(sample, &ev, tr)
	for _, f := range m.fields {
		if fr := tr.fields[f.target.name]; fr != nil {
			r.Fields = append(r.Fields, fr)
			r.Missing = append(r.Missing, fr.Missing...)
		}
	}
	if len(tr.fields) > 0 {
		r.derived(m, &ev, tr)
	}
	slices.SortFunc(r.Fields, func(a, b *FieldReport) int { return strings.Compare(a.Target, b.Target) })
	slices.Sort(r.Missing)
	r.Missing = slices.Compact(r.Missing)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	ev.ID = schemas.EventID(ev.Source.Product, ev.Source.EventID, sample)
	ev.SchemaVersion = schemas.EventSchemaVersion
	ev.ObservedTime = time.Now().UTC()
	r.Event = &ev
	if err := ev.Validate(); err != nil {
		r.Invalid = strings.Split(err.Error(), "\n")
	}
	return r
}

// derived adds the fields the mapping does not set but normalization
// derives (the category and verb, the outcome, the identity's id and
// provider) and the category rule that matched.
func (r *Report) derived(m *Mapping, ev *schemas.Event, tr *trace) {
	add := func(target, source, value string) {
		if m.mapped[target] != nil || value == "" {
			return
		}
		for _, f := range r.Fields {
			if f.Target == target {
				return
			}
		}
		r.Fields = append(r.Fields, &FieldReport{Target: target, Source: source, Value: value})
	}
	if tr.rule >= 0 {
		rule := m.categories[tr.rule]
		r.Category = fmt.Sprintf("rule %d matched: when %s", tr.rule+1, rule.when.String())
		source := fmt.Sprintf("category rule %d", tr.rule+1)
		r.setRule("action.category", source, string(ev.Action.Category))
		if rule.verb != "" {
			r.setRule("action.verb", source, string(ev.Action.Verb))
		}
	}
	add("action.category", "default: no category rule matched", string(ev.Action.Category))
	add("action.verb", "default", string(ev.Action.Verb))
	add("outcome", "default: failure with an error code or message, else unknown", string(ev.Outcome))
	add("identity.id", "derived: <identity.provider>:<identity.account>:<uid, name or email>", ev.Identity.ID)
	add("identity.provider", "default: the product", ev.Identity.Provider)
}

// setRule reports a field set by a category rule, replacing the report of
// a mapped field the rule overrode.
func (r *Report) setRule(target, source, value string) {
	for _, f := range r.Fields {
		if f.Target == target {
			f.Source = source + " (over " + f.Source + ")"
			f.Value, f.Missing, f.Problem = value, nil, ""
			return
		}
	}
	r.Fields = append(r.Fields, &FieldReport{Target: target, Source: source, Value: value})
}

// String renders the report as text for a terminal.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mapping %s (product %s)\n", r.File, r.Product)
	fmt.Fprintf(&b, "detect: %s\n", r.Detect)
	if r.Split != "" {
		fmt.Fprintf(&b, "split: %s\n", r.Split)
	}
	fmt.Fprintf(&b, "category: %s\n\n", r.Category)
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "FIELD\tSOURCE\tVALUE")
	for _, f := range r.Fields {
		v := f.Value
		switch {
		case f.Problem != "":
			v = "ERROR: " + f.Problem
		case len(f.Missing) > 0:
			v = "missing " + strings.Join(f.Missing, ", ")
		case v == "":
			v = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", f.Target, clip(f.Source, 60), v)
	}
	w.Flush()
	if len(r.Missing) > 0 {
		fmt.Fprintf(&b, "\nmissing in the sample: %s\n", strings.Join(r.Missing, ", "))
	}
	switch {
	case r.Error != "":
		fmt.Fprintf(&b, "\nthe sample does not normalize: %s\n", r.Error)
	case len(r.Invalid) > 0:
		fmt.Fprintf(&b, "\nthe sample normalizes to an event that breaks the contract: %s\n", strings.Join(r.Invalid, "; "))
	default:
		fmt.Fprintf(&b, "\nthe sample normalizes to a valid event\n")
	}
	return b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
