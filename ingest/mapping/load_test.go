package mapping_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/mapping"
)

// TestBadMappingFiles shows every bad mapping file in testdata rejected
// with each of its problems, in file order, at its line and column.
func TestBadMappingFiles(t *testing.T) {
	want := map[string][]string{
		"bad_path.bad.yaml": {
			`4:23: fields.identity.id.path: path "$.user[": offset 7: want an index or a quoted name after '['`,
			`5:16: fields.action.name: path "event": offset 0: want $ at the start`,
			`6:26: fields.identity.email.path: path "$.user['email]": offset 14: unterminated quoted name`,
			`7:25: fields.source.region.path: path "$..region": offset 2: unexpected '.' after '.'`,
		},
		"bad_values.bad.yaml": {
			`3:32: fields.time.format: "iso8601" is not one of rfc3339, unix, unix_ms`,
			`5:34: fields.action.name.format: only time fields have a format`,
			`6:58: fields.outcome.map: "blocked" is not one of success, failure, unknown`,
			`7:41: fields.session.mfa.default: "sometimes" is not a boolean`,
			`10:3: constants: identity.kind is also mapped in fields`,
			`11:19: constants.volume.records: "many" is not a number`,
			`12:22: constants.network.source_ip: "10.0.0.300" is not an IP address`,
			`13:3: constants: time must come from the record`,
		},
		"empty.bad.yaml": {
			`1:1: empty mapping file`,
		},
		"missing_required.bad.yaml": {
			`2:9: detect: want one of equals, prefix, suffix, contains, in, exists`,
			`3:1: fields: action.name is not mapped`,
			`3:1: fields: identity.id is not mapped, and neither is identity.uid, identity.name or identity.email to derive it from`,
			`5:20: fields.time.required: time is always required`,
		},
		"rules.bad.yaml": {
			`1:10: product: "okta" is a source aitdr ships; name this source's own product`,
			`4:33: fields.identity.id: has both path and template`,
			`5:27: fields.action.name.template: template "{{$.verb": offset 0: "{{" without "}}"`,
			`6:25: fields.target.id.template: template "static" has no {{path}} placeholder; use a constant`,
			`7:3: fields.ai.model: want path or template`,
			`9:3: constants: identity.id is also mapped in fields`,
			`11:42: categories[0].when: has both equals and prefix`,
			`12:35: categories[1].when.in: want a non-empty list`,
			`12:50: categories[1].category: "llm" is not one of authentication, authorization, iam_change, data_access, model_inference, model_management, training_pipeline, secret_access, admin, logging_change, other`,
			`13:5: categories[2]: when is missing`,
			`13:29: categories[2].verb: "poke" is not one of create, read, update, delete, list, invoke, authenticate, assume, grant, revoke, enable, disable, export, other`,
			`14:12: categories[3].when: field is missing`,
			`15:38: categories[4].when.exists: want true or false, not "yes"`,
		},
		"structure.bad.yaml": {
			`1:10: product: "Acme Audit" is not a product name (up to 64 lower-case letters, digits, '.', '_', '-')`,
			`2:8: split: want a string, not a list`,
			`4:3: fields: want a mapping, not a list`,
			`5:12: constants: want a mapping, not a scalar`,
			`6:13: categories: want a list, not a mapping`,
		},
		"syntax.bad.yaml": {
			`4:3: ',' or '}' must be specified`,
		},
		"unknown_key.bad.yaml": {
			`3:10: fields.time: unknown key "pth" (want path, template, format, map, unmapped, default, required)`,
			`6:1: mapping: unknown key "categorys" (want product, detect, split, fields, constants, categories)`,
		},
		"unknown_target.bad.yaml": {
			`5:3: fields: unknown target field "identity.emial" (did you mean "identity.email"?)`,
			`7:3: fields: unknown target field "volume.bytez" (did you mean "volume.bytes_in"?)`,
		},
	}
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			lines, ok := want[name]
			if !ok {
				t.Fatalf("no expected errors for %s", file)
			}
			_, err := mapping.Load(file)
			if err == nil {
				t.Fatal("loaded")
			}
			for i, l := range lines {
				lines[i] = file + ":" + l
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, lines) {
				t.Errorf("errors\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(lines, "\n      "))
			}
			var me *mapping.Error
			if !errors.As(err, &me) || me.File != file || me.Line == 0 {
				t.Errorf("errors.As(*mapping.Error) = %+v", me)
			}
		})
	}
	if len(files) != len(want) {
		t.Errorf("%d bad files, %d expected", len(files), len(want))
	}
}

// TestGoodMappingFiles shows the mapping files of testdata loading.
func TestGoodMappingFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/mapping.yaml")
	for _, f := range files {
		m, err := mapping.Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if m.File() != f || m.Product() == "" {
			t.Errorf("%s: file %q product %q", f, m.File(), m.Product())
		}
	}
	if _, err := mapping.Load("testdata/missing.yaml"); err == nil || !strings.HasPrefix(err.Error(), "load mapping: open testdata/missing.yaml:") {
		t.Errorf("missing file: %v", err)
	}
}

// TestTargets shows the list of target fields is the contract's, and that
// every name in it (but attributes.<key>) is accepted.
func TestTargets(t *testing.T) {
	names := mapping.Targets()
	for _, must := range []string{"time", "identity.id", "action.name", "outcome", "network.source_ip", "volume.tokens_in", "ai.model", "attributes.<key>"} {
		if !slices.Contains(names, must) {
			t.Errorf("Targets() lacks %s", must)
		}
	}
	for _, name := range names {
		if name == "attributes.<key>" || name == "time" || name == "session.issued_at" {
			continue
		}
		yaml := "product: x.y\nfields:\n  time: \"$.t\"\n  identity.id: \"$.u\"\n  action.name: \"$.a\"\n"
		if name != "identity.id" && name != "action.name" {
			yaml += "  " + name + ": \"$.v\"\n"
		}
		if _, err := mapping.Parse("t.yaml", []byte(yaml)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
