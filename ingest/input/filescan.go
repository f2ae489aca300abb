package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// minRead is the least a reader asks of its source at a time.
const minRead = 64 << 10

// errTooLarge is returned by (*reader).value for a value longer than the
// reader's bound.
var errTooLarge = errors.New("value over the size limit")

// reader cuts a stream (a file, decompressed) into lines or JSON values,
// holding in memory at most one line or value (up to max bytes) plus what
// was read ahead. The slices it returns are valid until its next call.
type reader struct {
	r   io.Reader
	max int

	buf       []byte
	pos       int   // next unread byte of buf
	base      int64 // stream offset of buf[0]
	line      int   // 1-based line of buf[pos]
	lineStart int64 // stream offset of the start of that line
	eof       bool
	err       error // the read error that ended the stream, not io.EOF
	skipping  bool  // discarding the rest of an over-long line
	last      mark  // where the line last returned by nextLine started
}

// mark is a position of a reader.
type mark struct {
	pos, line int
	lineStart int64
}

func newReader(r io.Reader, max int) *reader {
	return &reader{r: r, max: max, line: 1}
}

// fill reads at least n more bytes, or up to the end of the stream, first
// moving the unread bytes to the front of buf. It reports whether it read
// anything; at the end of the stream it sets eof (and err for a read
// error).
func (s *reader) fill(n int) bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		m := copy(s.buf, s.buf[s.pos:])
		s.buf = s.buf[:m]
		s.base += int64(s.pos)
		s.pos = 0
	}
	n = max(n, minRead)
	if need := len(s.buf) + n; cap(s.buf) < need {
		nb := make([]byte, len(s.buf), max(need, 2*cap(s.buf)))
		copy(nb, s.buf)
		s.buf = nb
	}
	got, empty := 0, 0
	for got < n {
		m, err := s.r.Read(s.buf[len(s.buf)+got : cap(s.buf)])
		got += m
		if m == 0 && err == nil {
			if empty++; empty >= 100 {
				err = io.ErrNoProgress
			}
		}
		if err != nil {
			// io.ErrUnexpectedEOF too is a failure here: a truncated
			// gzip stream says so.
			s.eof = true
			if err != io.EOF {
				s.err = err
			}
			break
		}
	}
	s.buf = s.buf[:len(s.buf)+got]
	return got > 0
}

// advance consumes n bytes of buf from pos, counting their lines.
func (s *reader) advance(n int) {
	consumed := s.buf[s.pos : s.pos+n]
	if nl := bytes.LastIndexByte(consumed, '\n'); nl >= 0 {
		s.line += bytes.Count(consumed, []byte{'\n'})
		s.lineStart = s.base + int64(s.pos+nl+1)
	}
	s.pos += n
}

// skipBOM consumes a UTF-8 byte order mark at the start of the stream.
func (s *reader) skipBOM() {
	for len(s.buf)-s.pos < 3 && s.fill(3) {
	}
	if s.base == 0 && s.pos == 0 && skipBOM(s.buf) == 3 {
		s.pos = 3
		s.lineStart = 3
	}
}

// peek skips white space and returns the next byte, without consuming it;
// ok is false at the end of the stream.
func (s *reader) peek() (c byte, ok bool) {
	for {
		i := skipSpace(s.buf, s.pos)
		s.advance(i - s.pos)
		if s.pos < len(s.buf) {
			return s.buf[s.pos], true
		}
		if !s.fill(minRead) {
			return 0, false
		}
	}
}

// nextLine returns the next line, without its newline, and its number; ok
// is false at the end of the stream. A line longer than max comes back
// with only its first max bytes and long set; the rest of it is skipped.
func (s *reader) nextLine() (text []byte, line int, long, ok bool) {
	if s.skipping {
		s.skipLine()
	}
	searched := 0 // bytes after pos known to hold no newline
	for {
		if i := bytes.IndexByte(s.buf[s.pos+searched:], '\n'); i >= 0 {
			end := s.pos + searched + i
			text, line = s.buf[s.pos:end], s.line
			s.last = mark{s.pos, s.line, s.lineStart}
			s.advance(end + 1 - s.pos)
			if len(text) > s.max {
				return text[:s.max], line, true, true
			}
			return text, line, false, true
		}
		searched = len(s.buf) - s.pos
		if searched > s.max {
			text, line = s.buf[s.pos:s.pos+s.max], s.line
			s.skipping = true
			return text, line, true, true
		}
		if !s.fill(searched) {
			if s.pos == len(s.buf) {
				return nil, 0, false, false
			}
			text, line = s.buf[s.pos:], s.line
			s.last = mark{s.pos, s.line, s.lineStart}
			s.advance(len(s.buf) - s.pos)
			if len(text) > s.max {
				return text[:s.max], line, true, true
			}
			return text, line, false, true
		}
	}
}

// skipLine discards the rest of an over-long line, its newline included.
func (s *reader) skipLine() {
	s.skipping = false
	for {
		if i := bytes.IndexByte(s.buf[s.pos:], '\n'); i >= 0 {
			s.advance(i + 1)
			return
		}
		s.pos = len(s.buf)
		if !s.fill(minRead) {
			return
		}
	}
}

// unreadLine goes back to the start of the line that nextLine just
// returned, which was not long. Only valid before any other call.
func (s *reader) unreadLine() {
	s.pos, s.line, s.lineStart = s.last.pos, s.last.line, s.last.lineStart
}

// value returns the JSON value at the next non-space byte, and the line it
// starts on. It fails with a *SyntaxError located in the stream, or with
// errTooLarge when the value is longer than max; the stream is then not
// consumed, for rest to take.
func (s *reader) value() (data []byte, line int, err error) {
	if _, ok := s.peek(); !ok {
		return nil, 0, s.locate(syntaxAt(0, "unexpected end of input"))
	}
	for {
		end, err := scanValue(s.buf[s.pos:], 0, s.eof)
		switch {
		case errors.Is(err, errIncomplete):
			if len(s.buf)-s.pos > s.max {
				return nil, s.line, errTooLarge
			}
			s.fill(len(s.buf) - s.pos)
			continue
		case err != nil:
			return nil, s.line, s.locate(err)
		case end > s.max:
			return nil, s.line, errTooLarge
		}
		data, line = s.buf[s.pos:s.pos+end], s.line
		s.advance(end)
		return data, line, nil
	}
}

// locate turns the offset of a *SyntaxError in err, relative to pos, into
// its line, column and offset in the stream.
func (s *reader) locate(err error) error {
	var se *SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	off := min(max(int(se.Offset), 0), len(s.buf)-s.pos)
	before := s.buf[s.pos : s.pos+off]
	se.Offset = s.base + int64(s.pos+off)
	se.Line = s.line + bytes.Count(before, []byte{'\n'})
	lineStart := s.lineStart
	if nl := bytes.LastIndexByte(before, '\n'); nl >= 0 {
		lineStart = s.base + int64(s.pos+nl+1)
	}
	se.Column = int(se.Offset-lineStart) + 1
	return err
}

// rest consumes the rest of the stream and returns its first keep bytes
// and its length.
func (s *reader) rest(keep int) (prefix []byte, total int64) {
	prefix = bytes.Clone(s.buf[s.pos:min(len(s.buf), s.pos+keep)])
	total = int64(len(s.buf) - s.pos)
	s.pos = len(s.buf)
	for !s.eof {
		s.base += int64(len(s.buf))
		s.buf = s.buf[:0]
		s.pos = 0
		s.fill(minRead)
		if n := keep - len(prefix); n > 0 {
			prefix = append(prefix, s.buf[:min(n, len(s.buf))]...)
		}
		total += int64(len(s.buf))
	}
	s.pos = len(s.buf)
	return prefix, total
}

// offset returns the stream offset of the next unread byte.
func (s *reader) offset() int64 { return s.base + int64(s.pos) }

// String describes the position, for errors.
func (s *reader) String() string { return fmt.Sprintf("line %d (byte %d)", s.line, s.offset()) }
