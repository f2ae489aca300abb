package contextmap

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"strings"

	"github.com/aitdr/aitdr/enrich/internal/filefmt"
	"github.com/aitdr/aitdr/schemas"
)

// environmentNames are the names an environment map accepts for each
// environment, besides the schema's own.
var environmentNames = map[string]schemas.Environment{
	"prod": schemas.EnvProduction, "production": schemas.EnvProduction,
	"staging": schemas.EnvStaging, "stage": schemas.EnvStaging,
	"dev": schemas.EnvDevelopment, "development": schemas.EnvDevelopment,
	"test": schemas.EnvTest, "testing": schemas.EnvTest, "qa": schemas.EnvTest,
	"unknown": schemas.EnvUnknown,
}

// ParseEnvironments reads an environment map (YAML): a mapping per scope
// (accounts, projects, subscriptions, namespaces, resources) from keys or
// patterns to environments, patterns matching in file order after exact
// keys. name is the file name errors carry.
//
//	accounts:      {"123456789012": prod, "111122223333": dev}
//	projects:      {acme-ml-prod: prod, "acme-*-dev": dev}
//	namespaces:    {"ml-prod/ml-serving": prod, "*/sandbox-*": dev}
//	resources:     {"arn:aws:s3:::*-prod-*": prod}
func ParseEnvironments(name string, data []byte) ([]EnvironmentEntry, error) {
	y := filefmt.NewYAML(name)
	body, ok := y.Parse(data)
	if !ok {
		return nil, y.Err()
	}
	allowed := make([]string, len(scopes))
	for i, s := range scopes {
		allowed[i] = string(s)
	}
	top, ok := y.Fields(body, "environment map", allowed...)
	if !ok {
		return nil, y.Err()
	}
	var out []EnvironmentEntry
	for _, s := range scopes {
		f, ok := top[string(s)]
		if !ok {
			continue
		}
		fields, ok := y.Map(f.Value, string(s))
		if !ok {
			continue
		}
		for _, e := range fields {
			key := strings.TrimSpace(e.Key)
			pos := filefmt.Position(e.Node)
			if key == "" {
				y.Node(e.Node, "%s: empty key", s)
				continue
			}
			if s == ScopeNamespace && !strings.Contains(key, "/") {
				y.Node(e.Node, "namespaces: %q: want <cluster>/<namespace> (\"*/%s\" for every cluster)", key, key)
				continue
			}
			v, ok := y.String(e.Value, string(s)+": "+key)
			if !ok {
				continue
			}
			env, ok := environmentNames[strings.ToLower(strings.TrimSpace(v))]
			if !ok {
				y.Node(e.Value, "%s: %q: environment %q is not one of prod, staging, dev, test, unknown", s, key, v)
				continue
			}
			out = append(out, EnvironmentEntry{Scope: s, Key: key, Environment: env, File: name, Line: pos.Line, Col: pos.Column})
		}
	}
	if err := y.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseClassification reads a classification catalog: YAML (a list under
// "classification" of {resource, sensitivity, type}) or, for a .csv file,
// CSV with a header naming the columns resource, sensitivity and
// optionally type. name is the file name errors carry.
//
//	classification:
//	  - {resource: "arn:aws:s3:::acme-customer-*", sensitivity: restricted}
//	  - {resource: "*", type: secret, sensitivity: restricted}
func ParseClassification(name string, data []byte) ([]ClassificationEntry, error) {
	if strings.EqualFold(filepath.Ext(name), ".csv") {
		return parseClassificationCSV(name, data)
	}
	y := filefmt.NewYAML(name)
	body, ok := y.Parse(data)
	if !ok {
		return nil, y.Err()
	}
	top, ok := y.Fields(body, "classification catalog", "classification")
	if !ok {
		return nil, y.Err()
	}
	f, ok := top["classification"]
	if !ok {
		y.Node(body, "classification catalog: classification is missing")
		return nil, y.Err()
	}
	items, _ := y.List(f.Value, "classification")
	var out []ClassificationEntry
	for _, it := range items {
		fields, ok := y.Fields(it, "classification entry", "resource", "type", "sensitivity")
		if !ok {
			continue
		}
		pos := filefmt.Position(it)
		e := ClassificationEntry{File: name, Line: pos.Line, Col: pos.Column}
		r, ok := fields["resource"]
		if !ok {
			y.At(pos.Line, pos.Column, "classification entry: resource is missing")
			continue
		}
		if e.Resource, ok = y.String(r.Value, "resource"); !ok {
			continue
		}
		if t, ok := fields["type"]; ok {
			if e.Type, ok = y.String(t.Value, "type"); !ok {
				continue
			}
		}
		s, ok := fields["sensitivity"]
		if !ok {
			y.At(pos.Line, pos.Column, "classification entry %q: sensitivity is missing", e.Resource)
			continue
		}
		v, ok := y.String(s.Value, "sensitivity")
		if !ok {
			continue
		}
		if problem := e.set(v); problem != "" {
			y.Node(s.Value, "classification entry %q: %s", e.Resource, problem)
			continue
		}
		if strings.TrimSpace(e.Resource) == "" {
			y.Node(r.Value, "classification entry: empty resource")
			continue
		}
		out = append(out, e)
	}
	if err := y.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// set sets the entry's sensitivity from its text, or says why it cannot.
func (e *ClassificationEntry) set(v string) string {
	s := schemas.Sensitivity(strings.ToLower(strings.TrimSpace(v)))
	if !s.Valid() {
		return "sensitivity " + `"` + v + `"` + " is not one of public, internal, confidential, restricted, unknown"
	}
	e.Sensitivity = s
	return ""
}

func parseClassificationCSV(name string, data []byte) ([]ClassificationEntry, error) {
	errs := filefmt.Errors{File: name}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			errs.At(1, 0, "empty file: want a header (resource,sensitivity[,type]) and one row per resource")
		} else {
			csvError(&errs, err)
		}
		return nil, errs.Err()
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	ri, okR := col["resource"]
	si, okS := col["sensitivity"]
	ti, okT := col["type"]
	if !okR || !okS {
		errs.At(1, 1, "header %q: want the columns resource and sensitivity (and optionally type)", strings.Join(header, ","))
		return nil, errs.Err()
	}
	var out []ClassificationEntry
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			csvError(&errs, err)
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) && errs.Len() < filefmt.MaxErrors {
				continue
			}
			break
		}
		line, _ := cr.FieldPos(0)
		e := ClassificationEntry{Resource: strings.TrimSpace(row[ri]), File: name, Line: line, Col: 1}
		if okT {
			e.Type = strings.TrimSpace(row[ti])
		}
		if e.Resource == "" {
			errs.At(line, 1, "empty resource")
			continue
		}
		if problem := e.set(row[si]); problem != "" {
			_, c := cr.FieldPos(si)
			errs.At(line, c, "resource %q: %s", e.Resource, problem)
			continue
		}
		out = append(out, e)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func csvError(errs *filefmt.Errors, err error) {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		errs.At(pe.Line, pe.Column, "%s", pe.Err.Error())
		return
	}
	errs.At(0, 0, "%s", err.Error())
}
