package schemas_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aitdr/aitdr/schemas"
)

// compatDir holds the events written by EventSchemaVersion 1, frozen: unlike
// the goldens, -update only writes a file that is missing, never rewrites
// one. A later version adds its own folder beside it and keeps this one.
const compatDir = "compat/v1"

// TestCompatibility shows that events written by schema version 1, in both
// encodings, keep decoding with this build: each committed file decodes, is
// valid, both encodings of a case decode to the same event, the event id
// still derives from the source id or raw record as EventID computes it, and
// re-encoding the decoded event changes nothing.
func TestCompatibility(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			writeMissingCompat(t, c)
			jsonBytes := readTestdata(t, filepath.Join(compatDir, c.name+".json"))
			msgpackBytes := readTestdata(t, filepath.Join(compatDir, c.name+".msgpack"))

			var fromJSON, fromMsgpack schemas.Event
			if err := schemas.DecodeEvent(schemas.ContentTypeEventJSON, jsonBytes, &fromJSON); err != nil {
				t.Fatalf("decode frozen json: %v", err)
			}
			if err := schemas.DecodeEvent("", msgpackBytes, &fromMsgpack); err != nil {
				t.Fatalf("decode frozen msgpack: %v", err)
			}
			if !reflect.DeepEqual(fromJSON, fromMsgpack) {
				t.Errorf("the two encodings decode differently:\njson:    %+v\nmsgpack: %+v", fromJSON, fromMsgpack)
			}
			if err := fromMsgpack.Validate(); err != nil {
				t.Errorf("frozen event is no longer valid: %v", err)
			}
			if fromMsgpack.SchemaVersion != 1 {
				t.Errorf("schema_version %d, want 1", fromMsgpack.SchemaVersion)
			}
			if id := schemas.EventID(fromMsgpack.Source.Product, fromMsgpack.Source.EventID, fromMsgpack.Raw.Data); id != fromMsgpack.ID {
				t.Errorf("EventID derives %s, the frozen event has %s", id, fromMsgpack.ID)
			}
			for _, ct := range []string{schemas.ContentTypeEventMsgpack, schemas.ContentTypeEventJSON} {
				b, err := schemas.EncodeEvent(ct, nil, &fromMsgpack)
				if err != nil {
					t.Fatalf("re-encode %s: %v", ct, err)
				}
				var again schemas.Event
				if err := schemas.DecodeEvent(ct, b, &again); err != nil {
					t.Fatalf("decode re-encoded %s: %v", ct, err)
				}
				if !reflect.DeepEqual(again, fromMsgpack) {
					t.Errorf("%s re-encoding changed the event:\n got: %+v\nwant: %+v", ct, again, fromMsgpack)
				}
			}
		})
	}
}

// writeMissingCompat writes the frozen files of c when -update is set and
// they do not exist yet.
func writeMissingCompat(t *testing.T, c goldenCase) {
	t.Helper()
	if !*update {
		return
	}
	if _, err := os.Stat(filepath.Join("testdata", compatDir, c.name+".json")); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	e := c.event(t)
	js, err := schemas.MarshalEventJSON(e)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := schemas.MarshalEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	writeGolden(t, filepath.Join(compatDir, c.name+".json"), indentJSON(t, js))
	writeGolden(t, filepath.Join(compatDir, c.name+".msgpack"), mp)
}
