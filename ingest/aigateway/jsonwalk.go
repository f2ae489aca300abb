package aigateway

import (
	"errors"
	"fmt"
	"strconv"
)

// pathElem is one step of the path to a JSON value: an object key (the
// raw bytes between the quotes) or an array index.
type pathElem struct {
	key     []byte
	index   int
	isIndex bool
}

// is reports whether e is the object key k.
func (e pathElem) is(k string) bool { return !e.isIndex && string(e.key) == k }

// pathString renders path as the source's field path: "messages[1].content".
func pathString(path []pathElem) string {
	b := make([]byte, 0, 48)
	for i, e := range path {
		if e.isIndex {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(e.index), 10)
			b = append(b, ']')
			continue
		}
		if i > 0 {
			b = append(b, '.')
		}
		b = append(b, e.key...)
	}
	return string(b)
}

// rewriter rewrites selected values of a JSON document and copies every
// other byte as it is, so that key order, spacing and numbers survive.
type rewriter struct {
	src  []byte
	pos  int
	out  []byte // nil until the first edit
	last int    // src is copied to out up to here
	path []pathElem
	// whole reports whether the object or array at path is replaced as a
	// whole (edit is called with its bytes) rather than walked into.
	whole func(path []pathElem) bool
	// edit returns the replacement of the value raw at path, or false to
	// keep it. kind is the first byte of the value.
	edit func(path []pathElem, kind byte, raw []byte) ([]byte, bool)
}

var errDepth = errors.New("nested deeper than 64 levels")

// rewrite returns src with the values edit chose replaced; src itself when
// nothing was. An error names the byte offset where src is not JSON.
func (w *rewriter) rewrite(src []byte) ([]byte, error) {
	w.src, w.pos, w.out, w.last, w.path = src, 0, nil, 0, w.path[:0]
	if err := w.value(); err != nil {
		return nil, err
	}
	w.space()
	if w.pos != len(w.src) {
		return nil, fmt.Errorf("offset %d: data after the JSON value", w.pos)
	}
	if w.out == nil {
		return src, nil
	}
	return append(w.out, src[w.last:]...), nil
}

func (w *rewriter) replace(start, end int, with []byte) {
	if w.out == nil {
		w.out = make([]byte, 0, len(w.src)+64)
	}
	w.out = append(w.out, w.src[w.last:start]...)
	w.out = append(w.out, with...)
	w.last = end
}

func (w *rewriter) space() {
	for w.pos < len(w.src) {
		switch w.src[w.pos] {
		case ' ', '\t', '\n', '\r':
			w.pos++
		default:
			return
		}
	}
}

func (w *rewriter) fail(what string) error {
	if w.pos >= len(w.src) {
		return fmt.Errorf("offset %d: unexpected end of JSON, want %s", w.pos, what)
	}
	return fmt.Errorf("offset %d: unexpected %q, want %s", w.pos, w.src[w.pos], what)
}

func (w *rewriter) value() error {
	if len(w.path) > 64 {
		return errDepth
	}
	w.space()
	if w.pos >= len(w.src) {
		return w.fail("a value")
	}
	start := w.pos
	kind := w.src[w.pos]
	switch kind {
	case '{', '[':
		if w.whole != nil && w.whole(w.path) {
			if err := w.skip(); err != nil {
				return err
			}
			if with, ok := w.edit(w.path, kind, w.src[start:w.pos]); ok {
				w.replace(start, w.pos, with)
			}
			return nil
		}
		if kind == '{' {
			return w.object()
		}
		return w.array()
	case '"':
		if err := w.str(); err != nil {
			return err
		}
	default:
		for w.pos < len(w.src) {
			c := w.src[w.pos]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				break
			}
			w.pos++
		}
		if w.pos == start {
			return w.fail("a value")
		}
	}
	if with, ok := w.edit(w.path, kind, w.src[start:w.pos]); ok {
		w.replace(start, w.pos, with)
	}
	return nil
}

// str moves past the string at pos.
func (w *rewriter) str() error {
	w.pos++ // opening quote
	for w.pos < len(w.src) {
		switch w.src[w.pos] {
		case '\\':
			w.pos += 2
		case '"':
			w.pos++
			return nil
		default:
			w.pos++
		}
	}
	w.pos = len(w.src)
	return w.fail("the end of a string")
}

func (w *rewriter) object() error {
	w.pos++ // {
	w.space()
	if w.pos < len(w.src) && w.src[w.pos] == '}' {
		w.pos++
		return nil
	}
	for {
		w.space()
		if w.pos >= len(w.src) || w.src[w.pos] != '"' {
			return w.fail("an object key")
		}
		ks := w.pos + 1
		if err := w.str(); err != nil {
			return err
		}
		key := w.src[ks : w.pos-1]
		w.space()
		if w.pos >= len(w.src) || w.src[w.pos] != ':' {
			return w.fail(`":"`)
		}
		w.pos++
		w.path = append(w.path, pathElem{key: key})
		if err := w.value(); err != nil {
			return err
		}
		w.path = w.path[:len(w.path)-1]
		w.space()
		if w.pos >= len(w.src) {
			return w.fail(`"," or "}"`)
		}
		switch w.src[w.pos] {
		case ',':
			w.pos++
		case '}':
			w.pos++
			return nil
		default:
			return w.fail(`"," or "}"`)
		}
	}
}

func (w *rewriter) array() error {
	w.pos++ // [
	w.space()
	if w.pos < len(w.src) && w.src[w.pos] == ']' {
		w.pos++
		return nil
	}
	for i := 0; ; i++ {
		w.path = append(w.path, pathElem{index: i, isIndex: true})
		if err := w.value(); err != nil {
			return err
		}
		w.path = w.path[:len(w.path)-1]
		w.space()
		if w.pos >= len(w.src) {
			return w.fail(`"," or "]"`)
		}
		switch w.src[w.pos] {
		case ',':
			w.pos++
		case ']':
			w.pos++
			return nil
		default:
			return w.fail(`"," or "]"`)
		}
	}
}

// skip moves past the object or array at pos without calling edit.
func (w *rewriter) skip() error {
	depth := 0
	for w.pos < len(w.src) {
		switch w.src[w.pos] {
		case '"':
			if err := w.str(); err != nil {
				return err
			}
			continue
		case '{', '[':
			depth++
			if depth > 64 {
				return errDepth
			}
		case '}', ']':
			depth--
			if depth == 0 {
				w.pos++
				return nil
			}
		}
		w.pos++
	}
	return w.fail("the end of an object or array")
}
