// Package yamlstrict decodes the project's YAML configuration files
// strictly: unknown keys, wrong types, duplicate keys and bad durations are
// errors with line and column, and a document the YAML library panics on is
// an error too. The pipeline's config and the simulator's share it.
package yamlstrict

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Decode parses data and decodes it over v, a pointer to a struct whose
// fields carry yaml tags, and returns the parsed file for locating the
// fields of later validation errors (nil for an empty document, which
// leaves v as it was).
func Decode[T any](data []byte, v *T) (file *ast.File, err error) {
	// The YAML library panics on some malformed documents (a tag on a
	// sequence, found by fuzzing); a bad file is an error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			file, err = nil, fmt.Errorf("malformed YAML: %v", r)
		}
	}()
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	file, err = parser.ParseBytes(data, 0)
	if err != nil {
		return nil, errors.New(yaml.FormatError(err, false, true))
	}
	// The decoder reports a bad duration without its position; find it first.
	for _, doc := range file.Docs {
		if err := CheckDurations(doc.Body, reflect.TypeFor[T](), ""); err != nil {
			return nil, err
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict(), yaml.DisallowUnknownField())
	if err := dec.Decode(v); err != nil {
		return nil, errors.New(yaml.FormatError(err, false, true))
	}
	return file, nil
}

// CheckDurations walks node along the type t (a struct, or a slice of
// them) and returns the first time.Duration value that does not parse, with
// its line, column and field path.
func CheckDurations(node ast.Node, t reflect.Type, path string) error {
	if t.Kind() == reflect.Slice {
		seq, ok := node.(*ast.SequenceNode)
		if !ok {
			return nil
		}
		for i, v := range seq.Values {
			if err := CheckDurations(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	mapping, ok := node.(ast.MapNode)
	if !ok || t.Kind() != reflect.Struct {
		return nil
	}
	fields := map[string]reflect.Type{}
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	for it := mapping.MapRange(); it.Next(); {
		key := it.Key().GetToken().Value
		ft, ok := fields[key]
		if !ok {
			continue // the strict decoder reports unknown keys
		}
		fieldPath := key
		if path != "" {
			fieldPath = path + "." + key
		}
		value := it.Value()
		if ft == reflect.TypeFor[time.Duration]() {
			if scalar, ok := value.(ast.ScalarNode); ok {
				text := fmt.Sprint(scalar.GetValue())
				if _, err := time.ParseDuration(text); err != nil {
					pos := value.GetToken().Position
					return fmt.Errorf("[%d:%d] %s: %q is not a duration such as 90s, 15m or 168h", pos.Line, pos.Column, fieldPath, text)
				}
			}
			continue
		}
		if err := CheckDurations(value, ft, fieldPath); err != nil {
			return err
		}
	}
	return nil
}
