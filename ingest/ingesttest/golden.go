// Package ingesttest is test support for the sources below ingest: the
// golden-file runner (testdata/<case>.in.json normalizes to the event in
// <case>.golden.json, rewritten by go test -update), the fields the
// pipeline sets on an event before validating it, and fuzz seeds.
package ingesttest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files from the normalized events")

// Golden is the golden-file test of a source: every input file normalizes
// to the event in the golden file beside it (<case>.in.json, then
// <case>.golden.json), indented JSON, and with the fields the pipeline
// sets that event passes the contract's validation. Run with go test
// -update to rewrite the golden files after a reviewed change.
type Golden struct {
	// Source normalizes the records.
	Source ingest.Source
	// Inputs is the glob of the input files. Default "testdata/*.in.json".
	Inputs string
	// Observed is the ObservedTime the pipeline gives every event.
	Observed time.Time
	// Split splits each input with the Source's Split first, when the
	// Source is an ingest.Splitter. The golden file of an input that
	// splits holds the array of its events.
	Split bool
	// Unfinished writes the events to the golden files as Normalize leaves
	// them, without the fields the pipeline sets (which are set before
	// Validate all the same).
	Unfinished bool
	// MinActions, when set, is the number of distinct action names the
	// events must cover.
	MinActions int
}

// Run runs a subtest for each input file, named after its case, and
// returns the events normalized, for checks of what the files cover. It
// fails t when no input file matches.
func (g Golden) Run(t *testing.T) []*schemas.Event {
	t.Helper()
	pattern := g.Inputs
	if pattern == "" {
		pattern = filepath.Join("testdata", "*.in.json")
	}
	inputs, err := filepath.Glob(pattern)
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no input files %s: %v", pattern, err)
	}
	var all []*schemas.Event
	for _, in := range inputs {
		name := strings.TrimSuffix(in, ".in.json")
		t.Run(filepath.Base(name), func(t *testing.T) {
			delivery := ReadFile(t, in)
			records := [][]byte{delivery}
			if g.Split {
				records = Records(t, g.Source, delivery)
			}
			if len(records) == 0 {
				t.Fatal("no records")
			}
			var events [][]byte
			for i, record := range records {
				ev, js, err := g.normalize(t, record)
				if err != nil {
					t.Fatalf("record %d: Normalize: %v", i, err)
				}
				all = append(all, ev)
				events = append(events, js)
			}
			got := events[0]
			if len(records) > 1 || !bytes.Equal(records[0], delivery) {
				got = append(append([]byte("["), bytes.Join(events, []byte(","))...), ']')
			}
			var out bytes.Buffer
			if err := json.Indent(&out, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			out.WriteByte('\n')
			CheckGolden(t, name+".golden.json", out.Bytes())
		})
	}
	if g.MinActions > 0 {
		actions := map[string]bool{}
		for _, ev := range all {
			actions[ev.Action.Name] = true
		}
		if len(actions) < g.MinActions {
			t.Errorf("golden files cover %d actions, want at least %d", len(actions), g.MinActions)
		}
	}
	return all
}

// normalize normalizes one record and returns its event and the event's
// JSON for the golden file.
func (g Golden) normalize(t *testing.T, record []byte) (*schemas.Event, []byte, error) {
	t.Helper()
	if !g.Source.Detect(record) {
		t.Errorf("Detect = false")
	}
	ev := new(schemas.Event)
	if err := g.Source.Normalize(context.Background(), record, ev); err != nil {
		return nil, nil, err
	}
	if !g.Unfinished {
		Finish(ev, g.Source.Product(), record, g.Observed)
	}
	js, err := schemas.MarshalEventJSON(ev)
	if err != nil {
		t.Fatal(err)
	}
	Finish(ev, g.Source.Product(), record, g.Observed)
	ev.Raw = schemas.Raw{Format: schemas.RawJSON, Data: record}
	if err := ev.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	return ev, js, nil
}

// CheckGolden compares got with the golden file, or writes got to it when
// the tests run with -update.
func CheckGolden(t testing.TB, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update and review the diff):\n%s", golden, got)
	}
}

// Finish sets the fields the ingest pipeline sets on the event of record
// after Normalize, as it does before validating the event: the product,
// the event id, the schema version, and the time the event was observed.
func Finish(ev *schemas.Event, product schemas.Product, record []byte, observed time.Time) {
	ev.Source.Product = product
	ev.ID = schemas.EventID(product, ev.Source.EventID, record)
	ev.SchemaVersion = schemas.EventSchemaVersion
	ev.ObservedTime = observed
}

// Normalize normalizes record with src and sets the fields the pipeline
// sets (see Finish).
func Normalize(src ingest.Source, record []byte, observed time.Time) (*schemas.Event, error) {
	ev := new(schemas.Event)
	if err := src.Normalize(context.Background(), record, ev); err != nil {
		return nil, err
	}
	Finish(ev, src.Product(), record, observed)
	return ev, nil
}

// Records returns the records of a delivery: what src splits it into, or
// the delivery itself when src does not split it.
func Records(t testing.TB, src ingest.Source, delivery []byte) [][]byte {
	t.Helper()
	sp, ok := src.(ingest.Splitter)
	if !ok {
		return [][]byte{delivery}
	}
	var records [][]byte
	split, err := sp.Split(delivery, func(r []byte) error {
		records = append(records, bytes.Clone(r))
		return nil
	})
	if err != nil {
		t.Fatalf("split: %v", err)
	}
	if !split {
		return [][]byte{delivery}
	}
	return records
}

// ReadFile returns the content of the file at path, failing t when it
// cannot be read.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Seed adds the files matching the glob pattern to the corpus of f.
func Seed(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		f.Add(ReadFile(f, file))
	}
}

// CheckReuse shows that normalizing the files into one event, one after
// the other, leaves nothing of the earlier records behind: the event
// equals a fresh event of the last file.
func CheckReuse(t testing.TB, src ingest.Source, files ...string) {
	t.Helper()
	var reused, fresh schemas.Event
	var last []byte
	for _, f := range files {
		last = ReadFile(t, f)
		if err := src.Normalize(context.Background(), last, &reused); err != nil {
			t.Fatal(err)
		}
	}
	if err := src.Normalize(context.Background(), last, &fresh); err != nil {
		t.Fatal(err)
	}
	a, _ := schemas.MarshalEventJSON(&reused)
	b, _ := schemas.MarshalEventJSON(&fresh)
	if !bytes.Equal(a, b) {
		t.Errorf("reused event differs from a fresh one:\n%s\n%s", a, b)
	}
}
