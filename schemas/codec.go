package schemas

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Content types of record values, carried in the HeaderContentType header.
// Internal topics carry MessagePack, the default when the header is absent;
// JSON is the form at the edges (HTTP ingest of normalized events, debugging,
// golden files, exports). Both decode to the same values.
const (
	// ContentTypeEventMsgpack is an Event as a MessagePack map keyed by the
	// JSON field names (generated code, see event_gen.go).
	ContentTypeEventMsgpack = "application/vnd.aitdr.event+msgpack"
	// ContentTypeEventJSON is an Event as JSON, as in the JSON Schema file
	// jsonschema/event.schema.json.
	ContentTypeEventJSON = "application/vnd.aitdr.event+json"
	// ContentTypeIdentityMsgpack is an Identity as a MessagePack map.
	ContentTypeIdentityMsgpack = "application/vnd.aitdr.identity+msgpack"
	// ContentTypeIdentityJSON is an Identity as JSON, as in
	// jsonschema/identity.schema.json.
	ContentTypeIdentityJSON = "application/vnd.aitdr.identity+json"
	// ContentTypeJSON is accepted on decoding as a synonym of the JSON
	// content type of the value decoded.
	ContentTypeJSON = "application/json"
)

// Errors returned, wrapped, by the decoders.
var (
	// ErrContentType is returned by DecodeEvent, DecodeIdentity, EncodeEvent
	// and EncodeIdentity for a content type they do not know.
	ErrContentType = errors.New("unsupported content type")
	// ErrSchemaVersion is returned by DecodeEvent for an event written with
	// a newer, incompatible EventSchemaVersion than this build reads.
	ErrSchemaVersion = errors.New("unsupported schema version")
)

// encoding is a value encoding.
type encoding uint8

const (
	encMsgpack encoding = iota
	encJSON
)

// String returns the name errors use for the encoding.
func (e encoding) String() string {
	if e == encJSON {
		return "json"
	}
	return "msgpack"
}

// encodingOf maps a content type to its encoding: the exact constants first
// (the hot path), then the same with parameters, case and spaces ignored.
func encodingOf(contentType, msgpackType, jsonType string) (encoding, error) {
	switch contentType {
	case "", msgpackType:
		return encMsgpack, nil
	case jsonType, ContentTypeJSON:
		return encJSON, nil
	}
	base, _, _ := strings.Cut(contentType, ";")
	base = strings.ToLower(strings.TrimSpace(base))
	switch base {
	case msgpackType:
		return encMsgpack, nil
	case jsonType, ContentTypeJSON:
		return encJSON, nil
	}
	return 0, fmt.Errorf("%w %q", ErrContentType, contentType)
}

// AppendEvent appends the MessagePack encoding of e to dst and returns the
// extended slice. It is the encoder of the internal topics.
func AppendEvent(dst []byte, e *Event) ([]byte, error) {
	b, err := e.MarshalMsg(dst)
	if err != nil {
		return dst, fmt.Errorf("encode event (msgpack): %w", err)
	}
	return b, nil
}

// MarshalEvent returns the MessagePack encoding of e.
func MarshalEvent(e *Event) ([]byte, error) {
	return AppendEvent(make([]byte, 0, e.Msgsize()), e)
}

// MarshalEventJSON returns the JSON encoding of e.
func MarshalEventJSON(e *Event) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode event (json): %w", err)
	}
	return b, nil
}

// EncodeEvent appends the encoding of e named by contentType to dst: an empty
// content type is MessagePack, like on decoding.
func EncodeEvent(contentType string, dst []byte, e *Event) ([]byte, error) {
	enc, err := encodingOf(contentType, ContentTypeEventMsgpack, ContentTypeEventJSON)
	if err != nil {
		return dst, fmt.Errorf("encode event: %w", err)
	}
	if enc == encMsgpack {
		return AppendEvent(dst, e)
	}
	b, err := MarshalEventJSON(e)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// DecodeEvent decodes b, encoded as contentType says (the HeaderContentType
// value; empty means MessagePack), into e, which it resets first, reusing
// the buffer of e.Raw.Data (so a caller must not keep e.Raw.Data across
// decodes into the same Event). Fields the
// build does not know are skipped and fields absent from b stay zero, so
// older and newer writers of the same EventSchemaVersion interoperate. Times
// decode in UTC whatever their offset in JSON. The decoded event holds no
// reference to b.
//
// DecodeEvent does not validate the event (see Event.Validate). It returns an
// error naming the encoding and what failed, wrapping ErrContentType or
// ErrSchemaVersion where they apply, and never panics on malformed input; on
// error the content of e is unspecified.
func DecodeEvent(contentType string, b []byte, e *Event) error {
	enc, err := encodingOf(contentType, ContentTypeEventMsgpack, ContentTypeEventJSON)
	if err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	// Keep the raw record's buffer: a stage decoding into one Event per
	// worker then copies the record without allocating.
	raw := e.Raw.Data[:0]
	*e = Event{}
	e.Raw.Data = raw
	if err := decode(enc, b, e); err != nil {
		return fmt.Errorf("decode event (%s): %w", enc, err)
	}
	if len(e.Raw.Data) == 0 {
		e.Raw.Data = nil
	}
	if enc == encJSON {
		e.Time = e.Time.UTC()
		e.ObservedTime = e.ObservedTime.UTC()
		e.Session.IssuedAt = e.Session.IssuedAt.UTC()
		e.Enrichment.IdentityFirstSeen = e.Enrichment.IdentityFirstSeen.UTC()
	}
	if e.SchemaVersion > EventSchemaVersion {
		return fmt.Errorf("decode event (%s): %w %d: this build reads up to %d",
			enc, ErrSchemaVersion, e.SchemaVersion, EventSchemaVersion)
	}
	return nil
}

// AppendIdentity appends the MessagePack encoding of id to dst.
func AppendIdentity(dst []byte, id *Identity) ([]byte, error) {
	b, err := id.MarshalMsg(dst)
	if err != nil {
		return dst, fmt.Errorf("encode identity (msgpack): %w", err)
	}
	return b, nil
}

// MarshalIdentityJSON returns the JSON encoding of id.
func MarshalIdentityJSON(id *Identity) ([]byte, error) {
	b, err := json.Marshal(id)
	if err != nil {
		return nil, fmt.Errorf("encode identity (json): %w", err)
	}
	return b, nil
}

// EncodeIdentity appends the encoding of id named by contentType to dst; an
// empty content type is MessagePack.
func EncodeIdentity(contentType string, dst []byte, id *Identity) ([]byte, error) {
	enc, err := encodingOf(contentType, ContentTypeIdentityMsgpack, ContentTypeIdentityJSON)
	if err != nil {
		return dst, fmt.Errorf("encode identity: %w", err)
	}
	if enc == encMsgpack {
		return AppendIdentity(dst, id)
	}
	b, err := MarshalIdentityJSON(id)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// DecodeIdentity decodes b, encoded as contentType says (empty means
// MessagePack), into id, which it resets first, with the same rules as
// DecodeEvent.
func DecodeIdentity(contentType string, b []byte, id *Identity) error {
	enc, err := encodingOf(contentType, ContentTypeIdentityMsgpack, ContentTypeIdentityJSON)
	if err != nil {
		return fmt.Errorf("decode identity: %w", err)
	}
	*id = Identity{}
	if err := decode(enc, b, id); err != nil {
		return fmt.Errorf("decode identity (%s): %w", enc, err)
	}
	if enc == encJSON {
		id.FirstSeen = id.FirstSeen.UTC()
		id.LastSeen = id.LastSeen.UTC()
		for i := range id.AIServices {
			id.AIServices[i].FirstSeen = id.AIServices[i].FirstSeen.UTC()
			id.AIServices[i].LastSeen = id.AIServices[i].LastSeen.UTC()
		}
		for i := range id.Targets {
			id.Targets[i].LastSeen = id.Targets[i].LastSeen.UTC()
		}
	}
	return nil
}

// msgpUnmarshaler is what the generated code provides.
type msgpUnmarshaler interface {
	UnmarshalMsg([]byte) ([]byte, error)
}

func decode(enc encoding, b []byte, v msgpUnmarshaler) error {
	if enc == encJSON {
		return json.Unmarshal(b, v)
	}
	if len(b) == 0 {
		return errors.New("empty value")
	}
	rest, err := v.UnmarshalMsg(b)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%d trailing bytes after the value", len(rest))
	}
	return nil
}
