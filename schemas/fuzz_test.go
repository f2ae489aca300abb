package schemas_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aitdr/aitdr/schemas"
)

// FuzzDecodeEvent shows that DecodeEvent never panics on any input in either
// encoding, and that whatever it accepts re-encodes and decodes again to the
// same event. The seed corpus is every golden and frozen event of testdata.
// The first argument selects the encoding: even for MessagePack, odd for JSON.
func FuzzDecodeEvent(f *testing.F) {
	for _, c := range goldenCases {
		for _, name := range []string{c.name + ".golden.msgpack", filepath.Join(compatDir, c.name+".msgpack")} {
			f.Add(uint8(0), readTestdata(f, name))
		}
		for _, name := range []string{c.name + ".golden.json", filepath.Join(compatDir, c.name+".json")} {
			f.Add(uint8(1), readTestdata(f, name))
		}
	}
	f.Add(uint8(0), []byte{0x81, 0xa2, 'i', 'd', 0xdd, 0xff, 0xff, 0xff, 0xff})
	f.Add(uint8(1), []byte(`{"raw":{"data_base64":"!!"}}`))
	f.Fuzz(func(t *testing.T, enc uint8, b []byte) {
		ct := schemas.ContentTypeEventMsgpack
		if enc%2 == 1 {
			ct = schemas.ContentTypeEventJSON
		}
		var e schemas.Event
		if err := schemas.DecodeEvent(ct, b, &e); err != nil {
			return
		}
		again, err := schemas.EncodeEvent(ct, nil, &e)
		if err != nil {
			// JSON cannot carry the NaN or infinite floats MessagePack can;
			// Validate reports those before an event is produced.
			if e.Validate() == nil {
				t.Fatalf("re-encode a valid decoded event: %v", err)
			}
			return
		}
		var e2 schemas.Event
		if err := schemas.DecodeEvent(ct, again, &e2); err != nil {
			t.Fatalf("decode re-encoded event: %v", err)
		}
		if e.Validate() == nil && !reflect.DeepEqual(e, e2) {
			t.Fatalf("re-encoding changed the event:\nfirst:  %+v\nsecond: %+v", e, e2)
		}
	})
}
