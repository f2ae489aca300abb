package schemagen

import (
	"path/filepath"
	"reflect"

	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// IDBase is the prefix of the $id of every aitdr schema file.
const IDBase = "https://github.com/aitdr/aitdr/schemas/jsonschema/"

// Files returns the aitdr schema files by name: event.schema.json,
// identity.schema.json and alert.schema.json, with descriptions from the Go
// sources of the schemas package in schemasDir and of schemas/ocsf.
func Files(schemasDir string) (map[string][]byte, error) {
	g := New()
	if err := g.LoadDocs(reflect.TypeFor[schemas.Event]().PkgPath(), schemasDir); err != nil {
		return nil, err
	}
	if err := g.LoadDocs(reflect.TypeFor[ocsf.DetectionFinding]().PkgPath(), filepath.Join(schemasDir, "ocsf")); err != nil {
		return nil, err
	}
	// Deployments name products of their own (declarative mappings).
	g.Override(reflect.TypeFor[schemas.Product](), &Schema{
		Type: "string", Pattern: schemas.ProductPattern, Examples: values(schemas.Products()),
	})
	Enum(g, schemas.IdentityKinds())
	Enum(g, schemas.AccountTypes())
	Enum(g, schemas.CredentialTypes())
	Enum(g, schemas.Verbs())
	Enum(g, schemas.Categories())
	Enum(g, schemas.Outcomes())
	Enum(g, schemas.Environments())
	Enum(g, schemas.Sensitivities())
	Enum(g, schemas.IdentityClasses())
	Enum(g, schemas.AIServiceStatuses())
	Enum(g, ocsf.ResponseKinds())
	Enum(g, ocsf.ResponseStatuses())
	// Raw has its own JSON form (see schemas.Raw.MarshalJSON).
	g.Override(reflect.TypeFor[schemas.Raw](), &Schema{
		Type: "object",
		Properties: Properties{
			{"format", &Schema{Type: "string", Enum: values(schemas.RawFormats()), Description: "The record's format."}},
			{"data", &Schema{Type: "string", Description: "The record as text, when it is valid UTF-8."}},
			{"data_base64", &Schema{Type: "string", ContentEncoding: "base64", Description: "The record in base64, when it is not valid UTF-8."}},
		},
		AdditionalProperties: false,
	})
	out := map[string][]byte{}
	for _, f := range []struct {
		name, title string
		root        reflect.Type
	}{
		{"event.schema.json", "aitdr event", reflect.TypeFor[schemas.Event]()},
		{"identity.schema.json", "aitdr identity", reflect.TypeFor[schemas.Identity]()},
		{"alert.schema.json", "aitdr alert (OCSF Detection Finding)", reflect.TypeFor[ocsf.DetectionFinding]()},
	} {
		b, err := g.Generate(IDBase+f.name, f.title, f.root)
		if err != nil {
			return nil, err
		}
		out[f.name] = b
	}
	return out, nil
}

// values returns vals as a list of any.
func values[T any](vals []T) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = v
	}
	return out
}
