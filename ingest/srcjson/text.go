package srcjson

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/aitdr/aitdr/ingest"
)

// Key returns s when it is valid UTF-8 and a *ingest.FieldError naming
// field otherwise; it is for the fields that identify an event or its
// principal.
func Key(field, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", ingest.Invalid(field, "invalid UTF-8")
	}
	return s, nil
}

// Clean returns s with invalid UTF-8 replaced by U+FFFD, for descriptive
// fields.
func Clean(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Excerpt shortens s for an error message: the first 100 bytes of it and
// "…" when it is longer, invalid UTF-8 (a rune cut in two included)
// replaced by U+FFFD.
func Excerpt(s string) string {
	const max = 100
	if len(s) <= max {
		return Clean(s)
	}
	return Clean(s[:max]) + "…"
}

// Clip returns s when it is at most n bytes long, and otherwise its longest
// prefix of at most n bytes that ends at a rune boundary followed by more,
// so that a reason stays short and does not copy a long value into the
// dead-letter topic.
func Clip(s string, n int, more string) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + more
}

// InvalidUTF8 returns a *ingest.FieldError for the record raw, which is not
// valid UTF-8, naming the member that holds its first invalid byte: the
// nearest key before that byte, or "record".
func InvalidUTF8(raw []byte) error {
	i := 0
	for i < len(raw) {
		r, size := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	field := "record"
	// Walk back over the string holding the byte to the key before it.
	if q := bytes.LastIndexByte(raw[:i], '"'); q > 0 {
		if c := bytes.LastIndexByte(raw[:q], ':'); c > 0 {
			if ke := bytes.LastIndexByte(raw[:c], '"'); ke > 0 {
				if ks := bytes.LastIndexByte(raw[:ke], '"'); ks >= 0 && utf8.Valid(raw[ks+1:ke]) {
					field = string(raw[ks+1 : ke])
				}
			}
		}
	}
	return ingest.Invalid(field, "invalid UTF-8")
}
