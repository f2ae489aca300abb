// Package filefmt reads the enrich stage's input files (the AI service
// catalog, directory exports, environment and classification maps) so that
// every problem carries file:line:col and its cause: the error type and
// collector, a reader of YAML syntax trees, and position helpers for CSV
// and JSON.
package filefmt

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Error is one problem in an input file, at a line and column (1-based;
// 0 when unknown).
type Error struct {
	File         string
	Line, Column int
	Message      string
}

// Error returns "file:line:col: message", leaving out the column or the
// line when unknown.
func (e *Error) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.File, e.Message)
	case e.Column == 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message)
}

// MaxErrors bounds the problems an Errors collector keeps: a file of
// garbage should not produce a million lines of report.
const MaxErrors = 50

// Errors collects the problems of one file. Its zero value is ready to use
// once File is set.
type Errors struct {
	File    string
	list    []*Error
	dropped int
}

// At records a problem at line and column.
func (c *Errors) At(line, column int, format string, args ...any) {
	if len(c.list) >= MaxErrors {
		c.dropped++
		return
	}
	c.list = append(c.list, &Error{File: c.File, Line: line, Column: column, Message: fmt.Sprintf(format, args...)})
}

// Len returns the number of problems recorded, dropped ones included.
func (c *Errors) Len() int { return len(c.list) + c.dropped }

// Err returns the problems sorted by position and joined with errors.Join,
// each an *Error, or nil when there are none.
func (c *Errors) Err() error {
	if len(c.list) == 0 {
		return nil
	}
	slices.SortStableFunc(c.list, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	errs := make([]error, 0, len(c.list)+1)
	for _, e := range c.list {
		errs = append(errs, e)
	}
	if c.dropped > 0 {
		errs = append(errs, fmt.Errorf("%s: %d more problems not shown", c.File, c.dropped))
	}
	return errors.Join(errs...)
}

// LineCol returns the 1-based line and column of byte offset off in data
// (the column counts bytes).
func LineCol(data []byte, off int64) (line, col int) {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
