package schemas_test

import (
	"encoding/json"
	"testing"

	gojson "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/schemas"
)

// BenchmarkEventCodec measures the candidate encodings of the internal topics
// on a CloudTrail-sized event (45 filled fields and a 1.4 KB raw record):
// MessagePack with generated code (the one in use), JSON with the standard
// library (the edge form) and JSON with goccy/go-json (a faster JSON, kept
// here only as a measured alternative).
func BenchmarkEventCodec(b *testing.B) {
	e := bedrockInvokeModel(b)
	msgpack, err := schemas.MarshalEvent(e)
	if err != nil {
		b.Fatal(err)
	}
	stdJSON, err := json.Marshal(e)
	if err != nil {
		b.Fatal(err)
	}
	goccyJSON, err := gojson.Marshal(e)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("sizes: msgpack %d B, json %d B, goccy json %d B", len(msgpack), len(stdJSON), len(goccyJSON))

	codecs := []struct {
		name   string
		size   int
		encode func(dst []byte, e *schemas.Event) ([]byte, error)
		decode func(b []byte, e *schemas.Event) error
		wire   []byte
	}{
		{
			name: "msgpack",
			encode: func(dst []byte, e *schemas.Event) ([]byte, error) {
				return schemas.AppendEvent(dst, e)
			},
			decode: func(b []byte, e *schemas.Event) error {
				return schemas.DecodeEvent(schemas.ContentTypeEventMsgpack, b, e)
			},
			wire: msgpack,
		},
		{
			name: "json-std",
			encode: func(dst []byte, e *schemas.Event) ([]byte, error) {
				return schemas.EncodeEvent(schemas.ContentTypeEventJSON, dst, e)
			},
			decode: func(b []byte, e *schemas.Event) error {
				return schemas.DecodeEvent(schemas.ContentTypeEventJSON, b, e)
			},
			wire: stdJSON,
		},
		{
			name: "json-goccy",
			encode: func(dst []byte, e *schemas.Event) ([]byte, error) {
				b, err := gojson.Marshal(e)
				return append(dst, b...), err
			},
			decode: func(b []byte, e *schemas.Event) error {
				*e = schemas.Event{}
				return gojson.Unmarshal(b, e)
			},
			wire: goccyJSON,
		},
	}
	for _, c := range codecs {
		b.Run(c.name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.wire)))
			buf := make([]byte, 0, 4096)
			for b.Loop() {
				var err error
				if buf, err = c.encode(buf[:0], e); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.wire)))
			var out schemas.Event
			for b.Loop() {
				if err := c.decode(c.wire, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/roundtrip", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.wire)))
			buf := make([]byte, 0, 4096)
			var out schemas.Event
			for b.Loop() {
				var err error
				if buf, err = c.encode(buf[:0], e); err != nil {
					b.Fatal(err)
				}
				if err := c.decode(buf, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidate measures the check every ingested event goes through:
// field paths are built only for the fields that fail.
func BenchmarkValidate(b *testing.B) {
	e := bedrockInvokeModel(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
