package ingesttest

import (
	"reflect"
	"unicode/utf8"

	"github.com/aitdr/aitdr/schemas"
)

// InvalidUTF8 returns the path of the first string of ev, map keys
// included, that is not valid UTF-8 ("" when there is none). Byte slices,
// the raw record, are not text.
func InvalidUTF8(ev *schemas.Event) string {
	return invalidUTF8(reflect.ValueOf(*ev), "")
}

func invalidUTF8(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return path
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				if bad := invalidUTF8(v.Field(i), path+"."+f.Name); bad != "" {
					return bad
				}
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if bad := invalidUTF8(it.Key(), path+"[key]"); bad != "" {
				return bad
			}
			if bad := invalidUTF8(it.Value(), path+"["+it.Key().String()+"]"); bad != "" {
				return bad
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			for i := range v.Len() {
				if bad := invalidUTF8(v.Index(i), path); bad != "" {
					return bad
				}
			}
		}
	}
	return ""
}
