package cloudtrail_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/aitdr/aitdr/schemas"
)

// seeds adds the samples of testdata, their records and a few bad records
// to the corpus of f.
func seeds(f *testing.F) {
	inputs, _ := filepath.Glob("testdata/*.in.json")
	src := newSource()
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		for _, rec := range records(f, src, data) {
			f.Add(rec)
		}
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"Records":null}`, `{"detail-type":"AWS API Call via CloudTrail","detail":null}`,
		`{"eventTime":"2025-03-14T09:26:41Z","eventName":"X","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/"}}`,
		`{"eventTime":"2025-03-14T09:26:41Z","eventName":"InvokeModel","eventSource":"bedrock.amazonaws.com","userIdentity":{"type":"Root","accountId":"1"},"requestParameters":{"modelId":"arn:aws:bedrock"},"additionalEventData":{"inputTokenCount":1e400}}`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzNormalize shows that no input panics Normalize, and that every
// record it accepts gives an event valid under the contract.
func FuzzNormalize(f *testing.F) {
	seeds(f)
	src := newSource()
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev schemas.Event
		if err := src.Normalize(context.Background(), data, &ev); err != nil {
			return
		}
		pipeline(&ev, data)
		if err := ev.Validate(); err != nil {
			t.Fatalf("accepted record gives an invalid event: %v\nrecord: %q", err, data)
		}
		if field := invalidUTF8(reflect.ValueOf(ev), ""); field != "" {
			t.Fatalf("accepted record gives invalid UTF-8 in %s\nrecord: %q", field, data)
		}
	})
}

// invalidUTF8 returns the first string field of v that is not valid UTF-8.
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
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "" // the raw record
		}
		for i := range v.Len() {
			if bad := invalidUTF8(v.Index(i), path); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// FuzzSplit shows that no delivery panics Split.
func FuzzSplit(f *testing.F) {
	seeds(f)
	src := newSource()
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = src.Split(data, func([]byte) error { return nil })
	})
}
