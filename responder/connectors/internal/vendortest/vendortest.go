// Package vendortest holds the documented exchanges that connector tests
// serve from httptest servers: each testdata/<name>.http file is one
// request as the provider documents it and the provider's documented
// answer, with the documentation URL in a comment:
//
//	# Suspend a user.
//	# https://developer.okta.com/docs/api/...
//	POST /api/v1/users/00u1/lifecycle/suspend
//	Authorization: SSWS 00test
//
//	###
//	HTTP/1.1 200 OK
//	Content-Type: application/json
//
//	{}
//
// The request part lists the header fields the provider requires (the
// server checks only those) and the body, compared as JSON. A Journal
// records every request a test server saw.
package vendortest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Exchange is one documented request and answer.
type Exchange struct {
	// Name is the file name without .http.
	Name string
	// Doc are the comment lines; one names the documentation URL.
	Doc []string
	// Method and Target are the request line: "POST", "/api/v1/...?q=1".
	Method, Target string
	// Header are the request header fields the provider requires.
	Header http.Header
	// Body is the request body, compared as JSON when not empty.
	Body []byte
	// Status, RespHeader and RespBody are the answer.
	Status     int
	RespHeader http.Header
	RespBody   []byte
}

// Load reads testdata/<name>.http, failing t on a malformed file or one
// without a documentation URL.
func Load(t testing.TB, name string) *Exchange {
	t.Helper()
	path := filepath.Join("testdata", name+".http")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x, err := parse(name, data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return x
}

func parse(name string, data []byte) (*Exchange, error) {
	x := &Exchange{Name: name}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	reqPart, respPart, ok := strings.Cut(text, "\n###\n")
	if !ok {
		return nil, fmt.Errorf("no ### line between request and answer")
	}
	lines := strings.Split(reqPart, "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
		x.Doc = append(x.Doc, strings.TrimSpace(strings.TrimPrefix(lines[0], "#")))
		lines = lines[1:]
	}
	if !slices.ContainsFunc(x.Doc, func(s string) bool { return strings.HasPrefix(s, "https://") }) {
		return nil, fmt.Errorf("no comment line with the documentation URL")
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("no request line")
	}
	var found bool
	x.Method, x.Target, found = strings.Cut(strings.TrimSpace(lines[0]), " ")
	if !found {
		return nil, fmt.Errorf("request line %q is not METHOD TARGET", lines[0])
	}
	var err error
	if x.Header, x.Body, err = headerAndBody(strings.Join(lines[1:], "\n")); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	statusLine, rest, _ := strings.Cut(respPart, "\n")
	fields := strings.Fields(statusLine)
	if len(fields) < 2 || !strings.HasPrefix(fields[0], "HTTP/") {
		return nil, fmt.Errorf("answer line %q is not HTTP/1.1 STATUS TEXT", statusLine)
	}
	if x.Status, err = strconv.Atoi(fields[1]); err != nil {
		return nil, fmt.Errorf("answer status %q: %w", fields[1], err)
	}
	if x.RespHeader, x.RespBody, err = headerAndBody(rest); err != nil {
		return nil, fmt.Errorf("answer: %w", err)
	}
	return x, nil
}

func headerAndBody(s string) (http.Header, []byte, error) {
	r := textproto.NewReader(bufio.NewReader(strings.NewReader(s + "\n\n")))
	h, err := r.ReadMIMEHeader()
	if err != nil && err != io.EOF {
		return nil, nil, err
	}
	body, _ := io.ReadAll(r.R)
	return http.Header(h), bytes.TrimSpace(body), nil
}

// Match returns what differs between r (with its body) and the documented
// request: method, path, query, the documented header fields and, when
// the exchange documents one, the JSON body; "" when r matches. Pairs of old and new strings in ids are
// replaced in the documented target first, so that one exchange documents
// the call for every id.
func (x *Exchange) Match(r *http.Request, body []byte, ids ...string) string {
	var diffs []string
	if r.Method != x.Method {
		diffs = append(diffs, fmt.Sprintf("method %s, documented %s", r.Method, x.Method))
	}
	target := x.Target
	if len(ids) > 0 {
		target = strings.NewReplacer(ids...).Replace(target)
	}
	want, err := url.Parse(target)
	if err != nil {
		return "documented target: " + err.Error()
	}
	if r.URL.Path != want.Path {
		diffs = append(diffs, fmt.Sprintf("path %s, documented %s", r.URL.Path, want.Path))
	}
	if got, w := r.URL.Query(), want.Query(); !reflect.DeepEqual(got, w) && (len(got) > 0 || len(w) > 0) {
		diffs = append(diffs, fmt.Sprintf("query %v, documented %v", got, w))
	}
	for k := range x.Header {
		if got, w := r.Header.Get(k), x.Header.Get(k); got != w && !strings.HasPrefix(got, w+";") {
			diffs = append(diffs, fmt.Sprintf("header %s %q, documented %q", k, got, w))
		}
	}
	if len(x.Body) > 0 {
		var got, w any
		errGot, errWant := json.Unmarshal(body, &got), json.Unmarshal(x.Body, &w)
		if errGot != nil || errWant != nil || !reflect.DeepEqual(got, w) {
			diffs = append(diffs, fmt.Sprintf("body %s, documented %s", body, x.Body))
		}
	}
	return strings.Join(diffs, "; ")
}

// Write sends the documented answer.
func (x *Exchange) Write(w http.ResponseWriter) {
	x.WriteBody(w, x.RespBody)
}

// WriteBody sends the documented status and header with body instead of
// the documented body (a documented object with the server's state).
func (x *Exchange) WriteBody(w http.ResponseWriter, body []byte) {
	for k, v := range x.RespHeader {
		w.Header()[k] = v
	}
	w.WriteHeader(x.Status)
	_, _ = w.Write(body)
}

// JSON decodes the documented answer body into v, failing t.
func (x *Exchange) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(x.RespBody, v); err != nil {
		t.Fatalf("%s: answer body: %v", x.Name, err)
	}
}

// Request is one request a test server saw.
type Request struct {
	// Method and Path (with the raw query) of the request.
	Method, Path string
	// Body is the request body.
	Body []byte
}

// Journal records the requests a test server sees. It is safe for
// concurrent use.
type Journal struct {
	mu   sync.Mutex
	reqs []Request
}

// Wrap returns h recording each request, its body readable again by h.
func (j *Journal) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		j.mu.Lock()
		j.reqs = append(j.reqs, Request{Method: r.Method, Path: r.URL.RequestURI(), Body: body})
		j.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// Requests returns the requests seen so far.
func (j *Journal) Requests() []Request {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.reqs)
}

// Writes returns "METHOD path" of every request seen so far other than
// GET and HEAD.
func (j *Journal) Writes() []string {
	var out []string
	for _, r := range j.Requests() {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// Reset forgets the requests seen so far.
func (j *Journal) Reset() {
	j.mu.Lock()
	j.reqs = nil
	j.mu.Unlock()
}
