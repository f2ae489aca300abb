package schemas_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/aitdr/aitdr/schemas"
)

// eventContentTypes are the encodings of events, by content type.
var eventContentTypes = []string{schemas.ContentTypeEventMsgpack, schemas.ContentTypeEventJSON}

// TestEventRoundTrip shows that every golden event survives encoding and
// decoding unchanged in both encodings, and that the encoders append to dst.
func TestEventRoundTrip(t *testing.T) {
	for _, c := range goldenCases {
		for _, ct := range eventContentTypes {
			t.Run(c.name+"/"+ct, func(t *testing.T) {
				e := c.event(t)
				prefix := []byte("prefix")
				b, err := schemas.EncodeEvent(ct, prefix, e)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(string(b), "prefix") {
					t.Fatalf("EncodeEvent did not append to dst: %q", b[:min(len(b), 16)])
				}
				var got schemas.Event
				if err := schemas.DecodeEvent(ct, b[len(prefix):], &got); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(&got, e) {
					t.Errorf("round trip changed the event:\n got: %+v\nwant: %+v", got, *e)
				}
			})
		}
	}
}

// TestDecodeEventResets shows that decoding into a used Event leaves nothing
// of the previous event behind.
func TestDecodeEventResets(t *testing.T) {
	for _, ct := range eventContentTypes {
		t.Run(ct, func(t *testing.T) {
			var e schemas.Event
			first, err := schemas.EncodeEvent(ct, nil, scoredAgent(t))
			if err != nil {
				t.Fatal(err)
			}
			want := oktaSignIn(t)
			second, err := schemas.EncodeEvent(ct, nil, want)
			if err != nil {
				t.Fatal(err)
			}
			if err := schemas.DecodeEvent(ct, first, &e); err != nil {
				t.Fatal(err)
			}
			if err := schemas.DecodeEvent(ct, second, &e); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&e, want) {
				t.Errorf("second decode kept data of the first:\n got: %+v\nwant: %+v", e, *want)
			}
		})
	}
}

// TestDecodeEventDoesNotAlias shows that a decoded event does not share
// memory with the record it was decoded from, so record buffers can be reused.
func TestDecodeEventDoesNotAlias(t *testing.T) {
	b, err := schemas.MarshalEvent(bedrockInvokeModel(t))
	if err != nil {
		t.Fatal(err)
	}
	var e schemas.Event
	if err := schemas.DecodeEvent("", b, &e); err != nil {
		t.Fatal(err)
	}
	id, raw := e.ID, string(e.Raw.Data)
	for i := range b {
		b[i] = 0
	}
	if e.ID != id || string(e.Raw.Data) != raw {
		t.Error("decoded event changed when the record buffer was overwritten")
	}
}

// TestDecodeEventContentTypes shows which header values select which
// decoder: empty means MessagePack, parameters and case are ignored, plain
// application/json is JSON, anything else is ErrContentType.
func TestDecodeEventContentTypes(t *testing.T) {
	e := oktaSignIn(t)
	mp, err := schemas.MarshalEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	js, err := schemas.MarshalEventJSON(e)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		contentType string
		value       []byte
		wantErr     error
	}{
		{"empty header is msgpack", "", mp, nil},
		{"msgpack", schemas.ContentTypeEventMsgpack, mp, nil},
		{"json", schemas.ContentTypeEventJSON, js, nil},
		{"plain json", "application/json", js, nil},
		{"json with parameters", "application/vnd.aitdr.event+json; charset=utf-8", js, nil},
		{"msgpack in upper case", " Application/VND.aitdr.event+MSGPACK ", mp, nil},
		{"identity content type", schemas.ContentTypeIdentityMsgpack, mp, schemas.ErrContentType},
		{"unknown", "text/csv", js, schemas.ErrContentType},
		{"parameters only", "; charset=utf-8", mp, schemas.ErrContentType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got schemas.Event
			err := schemas.DecodeEvent(tt.contentType, tt.value, &got)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DecodeEvent error %v, want %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(&got, e) {
				t.Errorf("decoded %+v, want %+v", got, *e)
			}
			if _, err := schemas.EncodeEvent(tt.contentType, nil, e); !errors.Is(err, tt.wantErr) {
				t.Errorf("EncodeEvent error %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestDecodeEventErrors shows that malformed values fail with an error that
// names the encoding and what failed, and never panic.
func TestDecodeEventErrors(t *testing.T) {
	good, err := schemas.MarshalEvent(bedrockInvokeModel(t))
	if err != nil {
		t.Fatal(err)
	}
	// A map whose "time" holds a string instead of a timestamp.
	badTime := msgp.AppendMapHeader(nil, 2)
	badTime = msgp.AppendString(badTime, "id")
	badTime = msgp.AppendString(badTime, "x")
	badTime = msgp.AppendString(badTime, "time")
	badTime = msgp.AppendString(badTime, "yesterday")
	// A findings array claiming more elements than the limit.
	hugeArray := msgp.AppendMapHeader(nil, 1)
	hugeArray = msgp.AppendString(hugeArray, "ai")
	hugeArray = msgp.AppendMapHeader(hugeArray, 1)
	hugeArray = msgp.AppendString(hugeArray, "findings")
	hugeArray = msgp.AppendArrayHeader(hugeArray, 1<<31)

	tests := []struct {
		name        string
		contentType string
		value       []byte
		want        []string
		wantErr     error
	}{
		{"empty msgpack", "", nil, []string{"decode event (msgpack)", "empty"}, nil},
		{"not a map", "", msgp.AppendString(nil, "event"), []string{"decode event (msgpack)"}, nil},
		{"truncated", "", good[:len(good)/2], []string{"decode event (msgpack)"}, nil},
		{"trailing bytes", "", append(append([]byte{}, good...), 0xc0), []string{"decode event (msgpack)", "1 trailing bytes"}, nil},
		{"wrong field type", "", badTime, []string{"decode event (msgpack)", "Time"}, nil},
		{"absurd array length", "", hugeArray, []string{"decode event (msgpack)"}, nil},
		{"json syntax", schemas.ContentTypeEventJSON, []byte(`{"id": "x",`), []string{"decode event (json)"}, nil},
		{"json wrong type", schemas.ContentTypeEventJSON, []byte(`{"time": 12}`), []string{"decode event (json)"}, nil},
		{"json raw with both forms", schemas.ContentTypeEventJSON, []byte(`{"raw": {"data": "a", "data_base64": "YQ=="}}`), []string{"decode event (json)", "both data and data_base64"}, nil},
		{"newer schema version", schemas.ContentTypeEventJSON, []byte(`{"id": "x", "schema_version": 2}`), []string{"decode event (json)", "version 2"}, schemas.ErrSchemaVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e schemas.Event
			err := schemas.DecodeEvent(tt.contentType, tt.value, &e)
			if err == nil {
				t.Fatal("DecodeEvent succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v does not wrap %v", err, tt.wantErr)
			}
		})
	}
}

// TestDecodeEventEvolution shows the schema evolution rules: a field this
// build does not know is skipped, a field that is absent stays zero, and an
// enum value this build does not know is kept (Validate reports it).
func TestDecodeEventEvolution(t *testing.T) {
	when := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	// A value from a newer writer: known fields, an unknown scalar, an
	// unknown nested map inside a known object, and a verb from the future.
	b := msgp.AppendMapHeader(nil, 5)
	b = msgp.AppendString(b, "id")
	b = msgp.AppendString(b, "evt-1")
	b = msgp.AppendString(b, "time")
	b = msgp.AppendTime(b, when)
	b = msgp.AppendString(b, "blast_radius")
	b = msgp.AppendFloat64(b, 0.7)
	b = msgp.AppendString(b, "action")
	b = msgp.AppendMapHeader(b, 3)
	b = msgp.AppendString(b, "name")
	b = msgp.AppendString(b, "FineTuneModel")
	b = msgp.AppendString(b, "verb")
	b = msgp.AppendString(b, "fine_tune")
	b = msgp.AppendString(b, "policy")
	b = msgp.AppendMapHeader(b, 1)
	b = msgp.AppendString(b, "effect")
	b = msgp.AppendArrayHeader(b, 2)
	b = msgp.AppendString(b, "allow")
	b = msgp.AppendNil(b)
	b = msgp.AppendString(b, "outcome")
	b = msgp.AppendString(b, "success")

	js := []byte(`{"id":"evt-1","time":"2025-03-14T09:00:00Z","blast_radius":0.7,
		"action":{"name":"FineTuneModel","verb":"fine_tune","policy":{"effect":["allow",null]}},"outcome":"success"}`)

	want := schemas.Event{
		ID:      "evt-1",
		Time:    when,
		Action:  schemas.Action{Name: "FineTuneModel", Verb: "fine_tune"},
		Outcome: schemas.OutcomeSuccess,
	}
	for _, tt := range []struct {
		contentType string
		value       []byte
	}{{schemas.ContentTypeEventMsgpack, b}, {schemas.ContentTypeEventJSON, js}} {
		t.Run(tt.contentType, func(t *testing.T) {
			var got schemas.Event
			if err := schemas.DecodeEvent(tt.contentType, tt.value, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
			}
			var fe *schemas.FieldError
			if err := got.Validate(); !errors.As(err, &fe) || !strings.Contains(err.Error(), `action.verb: unknown value "fine_tune"`) {
				t.Errorf("Validate() = %v, want it to report the unknown verb", err)
			}
		})
	}
}

// TestIdentityCodec shows that identities round-trip in both encodings and
// that identity decoding reports errors like event decoding.
func TestIdentityCodec(t *testing.T) {
	for _, ct := range []string{"", schemas.ContentTypeIdentityMsgpack, schemas.ContentTypeIdentityJSON} {
		t.Run("roundtrip "+ct, func(t *testing.T) {
			id := identityFixture()
			b, err := schemas.EncodeIdentity(ct, nil, id)
			if err != nil {
				t.Fatal(err)
			}
			var got schemas.Identity
			if err := schemas.DecodeIdentity(ct, b, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&got, id) {
				t.Errorf("round trip changed the identity:\n got: %+v\nwant: %+v", got, *id)
			}
		})
	}
	t.Run("errors", func(t *testing.T) {
		var got schemas.Identity
		if err := schemas.DecodeIdentity("", []byte{0xc1}, &got); err == nil || !strings.HasPrefix(err.Error(), "decode identity (msgpack): ") {
			t.Errorf("DecodeIdentity(garbage) = %v, want a decode identity (msgpack) error", err)
		}
		if err := schemas.DecodeIdentity(schemas.ContentTypeEventJSON, []byte(`{}`), &got); !errors.Is(err, schemas.ErrContentType) {
			t.Errorf("DecodeIdentity(event content type) = %v, want ErrContentType", err)
		}
	})
}

// TestRawJSON shows the two JSON forms of a raw record: text as a string,
// other bytes as base64, both decoding to the same bytes.
func TestRawJSON(t *testing.T) {
	tests := []struct {
		name string
		raw  schemas.Raw
		want string
	}{
		{"json record", schemas.Raw{Format: schemas.RawJSON, Data: []byte(`{"a":1}`)}, `{"format":"json","data":"{\"a\":1}"}`},
		{"binary record", schemas.Raw{Format: schemas.RawBinary, Data: []byte{0xff, 0x00, 0xfe}}, `{"format":"binary","data_base64":"/wD+"}`},
		{"format only", schemas.Raw{Format: schemas.RawText}, `{"format":"text"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := schemas.Event{Raw: tt.raw}
			b, err := schemas.MarshalEventJSON(&e)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), `"raw":`+tt.want) {
				t.Errorf("JSON %s does not contain raw %s", b, tt.want)
			}
			var got schemas.Event
			if err := schemas.DecodeEvent(schemas.ContentTypeEventJSON, b, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Raw, tt.raw) {
				t.Errorf("raw decoded to %+v, want %+v", got.Raw, tt.raw)
			}
		})
	}
}

// TestEncodeOmitsZeroParts shows that parts an event does not have are left
// out of both encodings, so a minimal event stays small.
func TestEncodeOmitsZeroParts(t *testing.T) {
	e := &schemas.Event{
		ID: "x", SchemaVersion: 1, Source: schemas.Source{Product: schemas.ProductOkta},
		Action: schemas.Action{Name: "user.session.start"}, Outcome: schemas.OutcomeSuccess,
	}
	js, err := schemas.MarshalEventJSON(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"session", "target", "error", "network", "volume", "ai", "enrichment", "features", "raw", "labels", "verb", "kind"} {
		if strings.Contains(string(js), `"`+absent+`"`) {
			t.Errorf("JSON %s contains the zero part %q", js, absent)
		}
	}
	mp, err := schemas.MarshalEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	// id, schema_version, time, observed_time, source, identity, action, outcome.
	n, _, err := msgp.ReadMapHeaderBytes(mp)
	if err != nil {
		t.Fatal(err)
	}
	if n != 8 {
		t.Errorf("msgpack map has %d keys, want the 8 required ones", n)
	}
}

// TestDecodeJSONTimesInUTC shows that JSON times with an offset decode to the
// same instant in UTC, as MessagePack times do, so both encodings of an event
// decode to equal values.
func TestDecodeJSONTimesInUTC(t *testing.T) {
	js := []byte(`{"time":"2025-03-14T11:26:41+02:00","observed_time":"2025-03-14T04:27:12-05:00",
		"session":{"issued_at":"2025-03-14T09:12:03+00:00"},"enrichment":{"identity_first_seen":"2024-11-02T17:40:00+01:00"}}`)
	var e schemas.Event
	if err := schemas.DecodeEvent(schemas.ContentTypeEventJSON, js, &e); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		got  time.Time
		want time.Time
	}{
		{"time", e.Time, time.Date(2025, 3, 14, 9, 26, 41, 0, time.UTC)},
		{"observed_time", e.ObservedTime, time.Date(2025, 3, 14, 9, 27, 12, 0, time.UTC)},
		{"session.issued_at", e.Session.IssuedAt, time.Date(2025, 3, 14, 9, 12, 3, 0, time.UTC)},
		{"enrichment.identity_first_seen", e.Enrichment.IdentityFirstSeen, time.Date(2024, 11, 2, 16, 40, 0, 0, time.UTC)},
	} {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s decoded to %v, want %v in UTC", tt.name, tt.got, tt.want)
		}
	}
}
