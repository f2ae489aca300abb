package rules

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// maxFileBytes bounds a rule file; a larger one is rejected unread.
const maxFileBytes = 8 << 20

// parsedFile is a rule file decoded, with the YAML node of every value so
// that later problems point at their line and column.
type parsedFile struct {
	name  string
	src   []byte
	spec  File
	nodes map[string]ast.Node
	keys  map[string]ast.Node
}

// parseFile decodes src, the content of the file name. A file that does
// not decode is returned with every problem found and a nil parsedFile.
func parseFile(name string, src []byte) (*parsedFile, Problems) {
	if len(src) > maxFileBytes {
		return nil, Problems{{Pos: Pos{File: name}, Msg: "the file is over 8 MiB; split it"}}
	}
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, Problems{yamlError(name, err)}
	}
	pf := &parsedFile{name: name, src: src, nodes: map[string]ast.Node{}, keys: map[string]ast.Node{}}
	var docs []ast.Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if _, ok := unwrap(doc.Body).(*ast.CommentGroupNode); ok {
			continue
		}
		docs = append(docs, doc.Body)
	}
	switch {
	case len(docs) == 0:
		return pf, nil // an empty file, or comments only
	case len(docs) > 1:
		return nil, Problems{{Pos: nodePos(name, docs[1]), Msg: "a rule file holds one YAML document; put the rules, macros and lists under one rules:, macros: and lists:"}}
	}
	d := &decoder{file: name, nodes: pf.nodes, keys: pf.keys}
	body := unwrap(docs[0])
	if _, ok := body.(*ast.NullNode); ok {
		return pf, nil
	}
	if _, ok := body.(ast.MapNode); !ok {
		return nil, Problems{{Pos: nodePos(name, body), Msg: "want a mapping with rules:, macros: or lists:, got " + describe(body)}}
	}
	d.decode(body, reflect.ValueOf(&pf.spec).Elem(), "")
	if len(d.errs) > 0 {
		return nil, asProblems(Pos{File: name}, d.errs...)
	}
	return pf, nil
}

// yamlError turns a YAML parse error into an *Error at its position.
func yamlError(file string, err error) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		p := ye.GetToken().Position
		return &Error{Pos: Pos{File: file, Line: p.Line, Col: max(p.Column, 1)}, Msg: "invalid YAML: " + ye.GetMessage(), Err: err}
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return &Error{Pos: Pos{File: file}, Msg: "invalid YAML: " + msg, Err: err}
}

// node returns the value node at path; for a value that is not in the
// file, the key of the nearest enclosing field (a missing window points at
// its threshold: key), or the nearest enclosing value.
func (pf *parsedFile) node(path string) ast.Node {
	if n, ok := pf.nodes[path]; ok {
		return n
	}
	for path != "" {
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			break
		}
		path = path[:i]
		if k, ok := pf.keys[path]; ok {
			return k
		}
		if n, ok := pf.nodes[path]; ok {
			return n
		}
	}
	return pf.nodes[path]
}

// itemPos returns where the list item at path starts: its key field (id
// of a rule, name of a test), or the item.
func (pf *parsedFile) itemPos(path, key string) Pos {
	if k, ok := pf.keys[path+"."+key]; ok {
		return nodePos(pf.name, k)
	}
	return pf.pos(path)
}

// pos returns the position of the value at path.
func (pf *parsedFile) pos(path string) Pos { return nodePos(pf.name, pf.node(path)) }

// errorf returns a problem at the value at path, its text prefixed by path.
func (pf *parsedFile) errorf(path, format string, args ...any) *Error {
	return &Error{Pos: pf.pos(path), Msg: path + ": " + fmt.Sprintf(format, args...)}
}

// exprError returns the problems of the expression at path, each at its
// offset (plus base) in the expression.
func (pf *parsedFile) exprError(path string, base int, err error) Problems {
	var many exprErrors
	if errors.As(err, &many) {
		var out Problems
		for _, e := range many {
			out = append(out, pf.exprError(path, base, e)...)
		}
		return out
	}
	var ee *exprError
	offset, msg := 0, err.Error()
	if errors.As(err, &ee) {
		offset, msg = ee.offset, ee.msg
	}
	n, ok := pf.nodes[path]
	if !ok {
		return Problems{{Pos: pf.pos(path), Msg: path + ": " + msg, Err: err}}
	}
	return Problems{{Pos: exprOffsetPos(pf.name, pf.src, n, base+offset), Msg: path + ": " + msg, Err: err}}
}

// trimBOM drops a UTF-8 byte order mark.
func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) }
