package mapping

import (
	"bytes"
	"cmp"
	"context"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/srcjson"
	"github.com/aitdr/aitdr/schemas"
	json "github.com/goccy/go-json"
)

// Source normalizes the records of one mapping. It is safe for concurrent
// use.
type Source struct {
	m   *Mapping
	now func() time.Time
}

var (
	_ ingest.Source   = (*Source)(nil)
	_ ingest.Splitter = (*Source)(nil)
)

// Option configures a Source.
type Option func(*Source)

// WithClock sets the clock that bounds event times: a record more than 24
// hours ahead of it is rejected. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// New returns the Source of a loaded mapping.
func New(m *Mapping, opts ...Option) *Source {
	s := &Source{m: m, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Mapping returns the mapping s normalizes with.
func (s *Source) Mapping() *Mapping { return s.m }

// Product returns the product the mapping names.
func (s *Source) Product() schemas.Product { return s.m.product }

// Detect reports whether record satisfies the mapping's detect rule; a
// mapping without one claims nothing. The record is parsed only when it
// contains the rule's member name and value, so records of other sources
// are turned away by a substring search.
func (s *Source) Detect(record []byte) bool {
	c := s.m.detect
	if c == nil {
		return false
	}
	for _, n := range c.needles {
		if !bytes.Contains(record, n) {
			return false
		}
	}
	root, err := decodeRecord(record)
	if err != nil {
		return false
	}
	return c.match(root)
}

// Split emits each element of the array at the mapping's split path, when
// the delivery has one there; a delivery without it is a single record.
// The elements are emitted as they are in the delivery. A value at the
// split path that is not an array fails with a *ingest.FieldError.
func (s *Source) Split(delivery []byte, emit func(record []byte) error) (bool, error) {
	p := s.m.split
	if p == nil {
		return false, nil
	}
	if name := p.lastName(); name != "" && plain(name) && !bytes.Contains(delivery, []byte(`"`+name+`"`)) {
		return false, nil
	}
	raw := stdjson.RawMessage(delivery)
	for _, st := range p.steps {
		var err error
		if st.index >= 0 {
			var a []stdjson.RawMessage
			if err = srcjson.UnmarshalFast(raw, &a); err == nil {
				if st.index >= len(a) {
					return false, nil
				}
				raw = a[st.index]
			}
		} else {
			var m map[string]stdjson.RawMessage
			if err = srcjson.UnmarshalFast(raw, &m); err == nil {
				v, ok := m[st.name]
				if !ok {
					return false, nil
				}
				raw = v
			}
		}
		if err != nil {
			if !stdjson.Valid(delivery) {
				return false, fmt.Errorf("split %s delivery: %w", s.m.product, decodeError(delivery, err))
			}
			return false, nil // the delivery has another shape there: not a container
		}
	}
	if isNull(raw) {
		return false, nil
	}
	var records []stdjson.RawMessage
	if err := srcjson.UnmarshalFast(raw, &records); err != nil {
		return false, fmt.Errorf("split %s delivery: %w", s.m.product, ingest.Invalid(p.text, "not an array"))
	}
	for i, r := range records {
		if err := emit(r); err != nil {
			return true, fmt.Errorf("split %s delivery: record %d: %w", s.m.product, i, err)
		}
	}
	return true, nil
}

func isNull(b []byte) bool { return len(b) == 0 || string(bytes.TrimSpace(b)) == "null" }

// decodeRecord decodes a record into maps, slices, strings, json.Number
// (numbers keep their text: a 64-bit id stays exact), booleans and nil,
// with goccy's stream decoder; on its error the standard library's decoder
// gives the result or the error.
func decodeRecord(data []byte) (any, error) {
	v, err := decodeWith(data, func(r io.Reader) decoder {
		d := json.NewDecoder(r)
		d.UseNumber()
		return d
	})
	if err == nil {
		return v, nil
	}
	v, err = decodeWith(data, func(r io.Reader) decoder {
		d := stdjson.NewDecoder(r)
		d.UseNumber()
		return d
	})
	if err != nil {
		return nil, decodeError(data, err)
	}
	return v, nil
}

type decoder interface{ Decode(v any) error }

func decodeWith(data []byte, newDecoder func(io.Reader) decoder) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panicked: %v", r)
		}
	}()
	d := newDecoder(bytes.NewReader(data))
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	var extra any
	if err := d.Decode(&extra); err != io.EOF {
		return nil, errors.New("invalid data after the top-level value")
	}
	return v, nil
}

// decodeError describes why data is not JSON, in the standard library's
// words.
func decodeError(data []byte, err error) error {
	var v any
	if stdErr := stdjson.Unmarshal(data, &v); stdErr != nil {
		err = stdErr
	}
	return fmt.Errorf("decode json: %w", err)
}

// Normalize fills ev from one record. A record that is not a JSON object,
// misses a required field, or has a value a field cannot take (a time that
// does not parse or is absurd, a number that is not one, an enum value the
// contract does not know, invalid UTF-8 in identity.id or action.name)
// fails with a *ingest.FieldError naming the path of the field in the
// record.
func (s *Source) Normalize(_ context.Context, record []byte, ev *schemas.Event) error {
	if err := s.normalize(record, ev, nil); err != nil {
		return fmt.Errorf("normalize %s record: %w", s.m.product, err)
	}
	return nil
}

// trace records what each field of a record maps to, for Check.
type trace struct {
	fields map[string]*FieldReport
	rule   int
}

func (s *Source) normalize(record []byte, ev *schemas.Event, tr *trace) error {
	root, err := decodeRecord(record)
	if err != nil {
		return err
	}
	if _, ok := root.(map[string]any); !ok {
		return ingest.Invalid("$", "%s, want object", jsonKind(root))
	}
	m := s.m
	ev.Source.Product = m.product
	var firstErr error
	for _, f := range m.fields {
		v, fr, err := f.eval(root)
		if tr != nil {
			tr.fields[f.target.name] = fr
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if fr.Value != "" {
			f.target.set(ev, v)
		}
	}
	if firstErr != nil && tr == nil {
		return firstErr
	}
	s.defaults(root, ev, tr)
	if firstErr != nil {
		return firstErr
	}
	if !utf8.Valid(record) {
		for _, k := range []struct{ target, value string }{{"identity.id", ev.Identity.ID}, {"action.name", ev.Action.Name}} {
			if strings.ContainsRune(k.value, utf8.RuneError) {
				return ingest.Invalid(m.sourceOf(k.target), "invalid UTF-8")
			}
		}
	}
	if ev.Identity.ID == "" {
		return ingest.Missing(m.sourceOf("identity.id"))
	}
	if why := srcjson.Implausible(ev.Time, s.now()); why != "" {
		return ingest.Invalid(m.sourceOf("time"), "%s is %s", ev.Time.Format(time.RFC3339Nano), why)
	}
	return nil
}

// sourceOf names where target comes from in the record, for errors: its
// path, the first path of its template, or the target itself.
func (m *Mapping) sourceOf(name string) string {
	f := m.mapped[name]
	if name == "identity.id" && f == nil {
		for _, alt := range []string{"identity.uid", "identity.name", "identity.email"} {
			if f = m.mapped[alt]; f != nil {
				break
			}
		}
	}
	switch {
	case f == nil:
		return name
	case f.path != nil:
		return f.path.text
	case f.template != nil:
		return f.template.paths()[0].text
	}
	return name
}

// eval evaluates f on the record root: its value, the report of what it
// maps to, and an error when the record cannot give a required value or
// gives one f cannot take.
func (f *field) eval(root any) (value, *FieldReport, error) {
	fr := &FieldReport{Target: f.target.name, Source: f.source()}
	if f.constant != nil {
		fr.Value = f.text
		return *f.constant, fr, nil
	}
	var text, where string
	var present bool
	if f.path != nil {
		where = f.path.text
		v, ok := f.path.eval(root)
		if ok {
			s, isScalar := scalar(v)
			if !isScalar {
				fr.Problem = fmt.Sprintf("%s, want a string, number or boolean", jsonKind(v))
				return value{}, fr, ingest.Invalid(where, "%s", fr.Problem)
			}
			text, present = s, s != ""
		} else {
			fr.Missing = []string{where}
		}
	} else {
		s, missing, notScalar := f.template.eval(root)
		if notScalar != nil {
			fr.Problem = fmt.Sprintf("%s is not a string, number or boolean", notScalar.text)
			return value{}, fr, ingest.Invalid(notScalar.text, "not a string, number or boolean")
		}
		fr.Missing = missing
		if len(missing) == 0 {
			text, present = s, true
		} else {
			where = missing[0]
		}
	}
	if present {
		if mapped, ok := f.valueMap[text]; ok {
			text = mapped
		} else if f.unmapped != nil {
			text = *f.unmapped
		}
	}
	if !present {
		if f.def == nil {
			if f.required {
				fr.Problem = "missing"
				if where == "" {
					where = f.target.name
				}
				return value{}, fr, ingest.Missing(where)
			}
			return value{}, fr, nil
		}
		text = *f.def
	}
	v, problem := f.target.convert(text, f.format)
	if problem != "" {
		fr.Problem = problem
		if where == "" {
			where = f.target.name
		}
		return value{}, fr, ingest.Invalid(where, "%s", problem)
	}
	fr.Value = text
	if f.target.kind == kindTime {
		fr.Value = v.t.Format(time.RFC3339Nano)
	}
	if f.target.kind == kindIP {
		fr.Value = v.s
	}
	v.s = srcjson.Clean(v.s)
	return v, fr, nil
}

// defaults applies the first matching category rule, whose category and
// verb (when it has one) take precedence over mapped fields, and fills what
// is still empty: category and verb other, the outcome, the identity id
// and provider.
func (s *Source) defaults(root any, ev *schemas.Event, tr *trace) {
	m := s.m
	if tr != nil {
		tr.rule = -1
	}
	for i, r := range m.categories {
		if r.when.match(root) {
			if tr != nil {
				tr.rule = i
			}
			ev.Action.Category = r.category
			if r.verb != "" {
				ev.Action.Verb = r.verb
			}
			break
		}
	}
	if ev.Action.Category == "" {
		ev.Action.Category = schemas.CategoryOther
	}
	if ev.Action.Verb == "" {
		ev.Action.Verb = schemas.VerbOther
	}
	if ev.Outcome == "" {
		ev.Outcome = schemas.OutcomeUnknown
		if ev.Error.Code != "" || ev.Error.Message != "" {
			ev.Outcome = schemas.OutcomeFailure
		}
	}
	p := &ev.Identity
	if p.Provider == "" && (p.ID != "" || p.UID != "" || p.Name != "" || p.Email != "") {
		p.Provider = string(m.product)
	}
	if p.ID == "" {
		if native := cmp.Or(p.UID, p.Name, p.Email); native != "" {
			p.ID = p.Provider + ":" + cmp.Or(p.Account, ev.Source.Tenant, ev.Source.Account) + ":" + native
		}
	}
}
