package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Pos is a position in a rule file. Line and Col are 1-based; zero when
// unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

// String returns "file:line:col", leaving out what is unknown.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is one problem of a rule file, at the position of the value at
// fault. Its text is "file:line:col: path: cause".
type Error struct {
	Pos Pos
	// Msg is the cause, starting with the path of the value in the file
	// ("rules[2].severity: ...") when there is one.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Problems are every problem found loading a rule set, in file order. A
// Load that returns Problems still returns the rules that loaded.
type Problems []*Error

func (p Problems) Error() string {
	var b strings.Builder
	for i, e := range p {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the problems as errors, for errors.Is and errors.As.
func (p Problems) Unwrap() []error {
	out := make([]error, len(p))
	for i, e := range p {
		out[i] = e
	}
	return out
}

// Files returns the files that have problems, sorted.
func (p Problems) Files() []string {
	var out []string
	for _, e := range p {
		if !slices.Contains(out, e.Pos.File) {
			out = append(out, e.Pos.File)
		}
	}
	slices.Sort(out)
	return out
}

// sortProblems orders problems by file, line and column, and drops exact
// repeats (the same cause found twice by two passes of the loader).
func sortProblems(p Problems) Problems {
	slices.SortStableFunc(p, func(a, b *Error) int {
		if c := strings.Compare(a.Pos.File, b.Pos.File); c != 0 {
			return c
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Col - b.Pos.Col
	})
	return slices.CompactFunc(p, func(a, b *Error) bool { return a.Error() == b.Error() })
}

// asProblems turns errs (each an *Error, or anything else at pos) into
// Problems.
func asProblems(pos Pos, errs ...error) Problems {
	var out Problems
	for _, err := range errs {
		if err == nil {
			continue
		}
		var e *Error
		if errors.As(err, &e) {
			out = append(out, e)
			continue
		}
		out = append(out, &Error{Pos: pos, Msg: err.Error(), Err: err})
	}
	return out
}
