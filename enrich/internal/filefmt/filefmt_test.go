package filefmt_test

import (
	"strings"
	"testing"

	"github.com/aitdr/aitdr/enrich/internal/filefmt"
)

// TestErrors shows problems come out sorted by position, formatted with
// what is known of it, and bounded.
func TestErrors(t *testing.T) {
	errs := filefmt.Errors{File: "f.yaml"}
	if errs.Err() != nil {
		t.Fatal("an empty collector has an error")
	}
	errs.At(3, 2, "third")
	errs.At(1, 0, "first, no column")
	errs.At(0, 0, "whole file")
	want := "f.yaml: whole file\nf.yaml:1: first, no column\nf.yaml:3:2: third"
	if got := errs.Err().Error(); got != want {
		t.Errorf("Err =\n%s\nwant\n%s", got, want)
	}
	for i := range 2 * filefmt.MaxErrors {
		errs.At(10+i, 1, "more")
	}
	if errs.Len() != 3+2*filefmt.MaxErrors {
		t.Errorf("Len = %d", errs.Len())
	}
	lines := strings.Split(errs.Err().Error(), "\n")
	if len(lines) != filefmt.MaxErrors+1 || lines[len(lines)-1] != "f.yaml: 53 more problems not shown" {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

// TestLineCol shows byte offsets become 1-based lines and columns.
func TestLineCol(t *testing.T) {
	data := []byte("ab\ncde\n\nf")
	for _, tt := range []struct {
		off       int64
		line, col int
	}{{0, 1, 1}, {1, 1, 2}, {3, 2, 1}, {5, 2, 3}, {7, 3, 1}, {8, 4, 1}, {99, 4, 2}, {-5, 1, 1}} {
		if l, c := filefmt.LineCol(data, tt.off); l != tt.line || c != tt.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", tt.off, l, c, tt.line, tt.col)
		}
	}
}

// TestYAML shows the reader's problems carry the node's position.
func TestYAML(t *testing.T) {
	y := filefmt.NewYAML("x.yaml")
	body, ok := y.Parse([]byte("a: 1\nb: [x, 2]\nc: {d: true}\n"))
	if !ok {
		t.Fatal(y.Err())
	}
	fields, _ := y.Fields(body, "top", "a", "b")
	if s, ok := y.String(fields["a"].Value, "a"); !ok || s != "1" {
		t.Errorf("a = %q", s)
	}
	if l, ok := y.Strings(fields["b"].Value, "b"); !ok || strings.Join(l, ",") != "x,2" {
		t.Errorf("b = %q", l)
	}
	want := "x.yaml:3:1: top: unknown key \"c\" (want one of a, b)"
	if err := y.Err(); err == nil || err.Error() != want {
		t.Errorf("Err =\n%v\nwant\n%s", err, want)
	}
	dup := filefmt.NewYAML("d.yaml")
	if _, ok := dup.Parse([]byte("a: 1\na: 2\n")); ok || !strings.HasPrefix(dup.Err().Error(), "d.yaml:2:1: ") {
		t.Errorf("a repeated key: %v", dup.Err())
	}
}
