package mapping_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest/mapping"
	"github.com/aitdr/aitdr/schemas"
)

// TestParsePath shows the path subset parsing, and the exact error of each
// kind of bad path.
func TestParsePath(t *testing.T) {
	good := []string{`$`, `$.a`, `$.a.b`, `$.a[0]`, `$.a[12].b`, `$.a["x-y"]`, `$['a.b'].c`, `$["q\"uote"]`, `$.user_id`, `$.x-y`, `$.@type`, `$[0]`}
	for _, s := range good {
		p, err := mapping.ParsePath(s)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", s, err)
			continue
		}
		if p.String() != s {
			t.Errorf("ParsePath(%q).String() = %q", s, p.String())
		}
	}
	bad := map[string]string{
		``:                               `path "": offset 0: want $ at the start`,
		`a.b`:                            `path "a.b": offset 0: want $ at the start`,
		`$.`:                             `path "$.": offset 2: want a member name after '.'`,
		`$..a`:                           `path "$..a": offset 2: unexpected '.' after '.'`,
		`$a`:                             `path "$a": offset 1: unexpected 'a', want '.' or '['`,
		`$.a[`:                           `path "$.a[": offset 4: want an index or a quoted name after '['`,
		`$.a[*]`:                         `path "$.a[*]": offset 4: want an index or a quoted name after '[', not '*'`,
		`$.a[1`:                          `path "$.a[1": offset 5: want ']' after the index`,
		`$.a[-1]`:                        `path "$.a[-1]": offset 4: want an index or a quoted name after '[', not '-'`,
		`$.a[99999999999]`:               `path "$.a[99999999999]": offset 4: index 99999999999 is larger than 1000000`,
		`$.a["b"`:                        `path "$.a[\"b\"": offset 7: want ']' after the quoted name`,
		`$.a["b`:                         `path "$.a[\"b": offset 6: unterminated quoted name`,
		`$.a b`:                          `path "$.a b": offset 3: unexpected ' ', want '.' or '['`,
		`$.a}}`:                          `path "$.a}}": offset 3: unexpected '}', want '.' or '['`,
		`$.a[0]x`:                        `path "$.a[0]x": offset 6: unexpected 'x', want '.' or '['`,
		"$." + strings.Repeat("a.", 600): `path "$.` + strings.Repeat("a.", 600) + `": offset 1024: longer than 1024 bytes`,
	}
	for s, want := range bad {
		if _, err := mapping.ParsePath(s); err == nil || err.Error() != want {
			t.Errorf("ParsePath(%q)\n got: %v\nwant: %s", s, err, want)
		}
	}
}

// TestPathEval shows what paths find in a record, through a mapping.
func TestPathEval(t *testing.T) {
	src := inline(t, `
product: acme.audit
fields:
  time: "$.t"
  identity.id: "$.u"
  action.name: {template: "{{$.a[1]}}/{{$['x.y'].z}}/{{$.h[\"x-y\"]}}/{{$.n}}/{{$.b}}"}
`)
	var ev schemas.Event
	rec := `{"t": "2025-03-14T09:26:41Z", "u": "x", "a": ["p", "q"], "x.y": {"z": "dot"}, "h": {"x-y": "dash"}, "n": 1.50, "b": false}`
	if err := src.Normalize(context.Background(), []byte(rec), &ev); err != nil {
		t.Fatal(err)
	}
	if want := "q/dot/dash/1.50/false"; ev.Action.Name != want {
		t.Errorf("action.name = %q, want %q", ev.Action.Name, want)
	}
}

// FuzzParsePath shows that no path panics the parser, that a parsed path
// prints as it was written, and that evaluating it on a record never
// panics.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{`$`, `$.a.b`, `$.a[0]`, `$["x-y"]`, `$['a.b'].c`, `$.a[`, `$..a`, `$["\"`, `$.a[999]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := mapping.ParsePath(s)
		if err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("ParsePath(%q).String() = %q", s, p.String())
		}
		yaml := "product: x.y\nfields:\n  time: {path: \"$.ts\", format: unix}\n  identity.id: \"$.user\"\n  action.name: {path: " + quoteYAML(s) + "}\n"
		m, err := mapping.Parse("fuzz.yaml", []byte(yaml))
		if err != nil {
			return // not every path is a valid YAML scalar as quoted here
		}
		var ev schemas.Event
		_ = mapping.New(m, mapping.WithClock(func() time.Time { return now })).Normalize(context.Background(),
			[]byte(`{"ts": 1741944401, "user": "u", "a": [1, {"b": "c"}], "x-y": {"0": "z"}}`), &ev)
	})
}

// quoteYAML writes s as a YAML single-quoted scalar.
func quoteYAML(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
