package clickhouse

import (
	"reflect"
	"strings"
	"unsafe"

	chcolumn "github.com/ClickHouse/clickhouse-go/v2/lib/column"

	"github.com/aitdr/aitdr/schemas"
)

// The features column of events is a Map(LowCardinality(String), Float64)
// built from schemas.Features by reflection over its JSON tags, once: every
// number and boolean field is a key, named as rules name it ("learning" has a
// column of its own; "rate_ratio.1h" is the H1 field of RateRatio), so a
// feature added to schemas.Features reaches ClickHouse without a change here.

// featureField is one number or boolean field of schemas.Features.
type featureField struct {
	// key is the map key: the JSON names from the top, joined by dots.
	key string
	// offset is the field's offset in schemas.Features.
	offset uintptr
	kind   reflect.Kind
}

// featureOwnColumns are the Features fields stored in columns of their own
// rather than in the map.
var featureOwnColumns = map[string]bool{"available": true, "learning": true, "unavailable_reason": true}

// featureFields are the map's fields; featureSkipped are the fields of a
// kind the map cannot hold (TestFeatureNames requires none).
var featureFields, featureSkipped = collectFeatures(reflect.TypeFor[schemas.Features](), "", 0)

func collectFeatures(t reflect.Type, prefix string, base uintptr) (fields []featureField, skipped []string) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		key := prefix + name
		if prefix == "" && featureOwnColumns[key] {
			continue
		}
		switch f.Type.Kind() {
		case reflect.Struct:
			fs, sk := collectFeatures(f.Type, key+".", base+f.Offset)
			fields, skipped = append(fields, fs...), append(skipped, sk...)
		case reflect.Bool, reflect.Float64, reflect.Float32, reflect.Int, reflect.Int64, reflect.Int32,
			reflect.Int16, reflect.Int8, reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
			fields = append(fields, featureField{key: key, offset: base + f.Offset, kind: f.Type.Kind()})
		default:
			skipped = append(skipped, key)
		}
	}
	return fields, skipped
}

// FeatureNames returns the keys the features column of events can hold, in
// the order of the fields of schemas.Features.
func FeatureNames() []string {
	out := make([]string, len(featureFields))
	for i, f := range featureFields {
		out[i] = f.key
	}
	return out
}

// featureKeys are the keys of featureFields, boxed once: clickhouse-go
// takes map keys as any.
var featureKeys = func() []any {
	out := make([]any, len(featureFields))
	for i, f := range featureFields {
		out[i] = f.key
	}
	return out
}()

// featureEntry is one feature of an event: its field and value.
type featureEntry struct {
	field int
	value float64
}

// featureRow is the features of one event, a row of the features column.
// clickhouse-go appends it through column.IterableOrderedMap: about three
// times faster than a Go map, which it walks with reflection and whose keys
// and values it boxes one by one. A featureRow is iterated by one goroutine
// at a time.
type featureRow struct {
	entries []featureEntry
	pos     int
}

var _ chcolumn.IterableOrderedMap = (*featureRow)(nil)

// Put panics: a featureRow is only read from.
func (r *featureRow) Put(key, value any) {
	panic("clickhouse: featureRow is read-only")
}

// Iterator starts an iteration over the features, in field order.
func (r *featureRow) Iterator() chcolumn.MapIterator { r.pos = -1; return r }

// Next moves to the next feature.
func (r *featureRow) Next() bool { r.pos++; return r.pos < len(r.entries) }

// Key returns the current feature's name.
func (r *featureRow) Key() any { return featureKeys[r.entries[r.pos].field] }

// Value returns the current feature's value.
func (r *featureRow) Value() any { return r.entries[r.pos].value }

// Map returns the features as a Go map; nil when there are none.
func (r *featureRow) Map() map[string]float64 {
	if len(r.entries) == 0 {
		return nil
	}
	m := make(map[string]float64, len(r.entries))
	for _, e := range r.entries {
		m[featureFields[e.field].key] = e.value
	}
	return m
}

// features returns the features of f that are not zero (booleans as 1).
func features(f *schemas.Features) *featureRow {
	r := &featureRow{}
	base := unsafe.Pointer(f)
	for i, ff := range featureFields {
		// The offsets come from reflect on the very type f points to.
		p := unsafe.Add(base, ff.offset)
		var v float64
		switch ff.kind {
		case reflect.Bool:
			if *(*bool)(p) {
				v = 1
			}
		case reflect.Float64:
			v = *(*float64)(p)
		case reflect.Float32:
			v = float64(*(*float32)(p))
		case reflect.Int:
			v = float64(*(*int)(p))
		case reflect.Int64:
			v = float64(*(*int64)(p))
		case reflect.Int32:
			v = float64(*(*int32)(p))
		case reflect.Int16:
			v = float64(*(*int16)(p))
		case reflect.Int8:
			v = float64(*(*int8)(p))
		case reflect.Uint:
			v = float64(*(*uint)(p))
		case reflect.Uint64:
			v = float64(*(*uint64)(p))
		case reflect.Uint32:
			v = float64(*(*uint32)(p))
		case reflect.Uint16:
			v = float64(*(*uint16)(p))
		case reflect.Uint8:
			v = float64(*(*uint8)(p))
		}
		if v != 0 {
			if r.entries == nil {
				r.entries = make([]featureEntry, 0, 24)
			}
			r.entries = append(r.entries, featureEntry{i, v})
		}
	}
	return r
}
