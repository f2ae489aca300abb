package input

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

// TestScanValue shows that scanValue accepts exactly the JSON grammar and
// tells an input that ends early (more may come) from a broken one.
func TestScanValue(t *testing.T) {
	for _, tc := range []struct {
		in         string
		end        int  // want end, atEOF
		incomplete bool // want errIncomplete when not atEOF
		bad        bool // want a syntax error either way
	}{
		{in: `{}`, end: 2},
		{in: ` {"a":[1,2.5e-3,true,false,null,"x\u00e9\n"]} `, end: 45},
		{in: `[]`, end: 2},
		{in: `"s"`, end: 3},
		{in: `-0.5E+10`, end: 8},
		{in: `{"a":1}{"b":2}`, end: 7},
		{in: `{"a":`, incomplete: true},
		{in: `{"a":"abc`, incomplete: true},
		{in: `[1,2`, incomplete: true},
		{in: `tr`, incomplete: true},
		{in: `12`, end: 2, incomplete: true},
		{in: `"\u12`, incomplete: true},
		{in: `{"a" 1}`, bad: true},
		{in: `{a:1}`, bad: true},
		{in: `[1,]`, bad: true},
		{in: `[1 2]`, bad: true},
		{in: `{"a":1,}`, bad: true},
		{in: `01`, end: 1},
		{in: `-`, incomplete: true},
		{in: `1.`, incomplete: true},
		{in: `1.x`, bad: true},
		{in: `"a` + "\x01" + `"`, bad: true},
		{in: `"\x"`, bad: true},
		{in: `nul!`, bad: true},
		{in: `{"a":1]`, bad: true},
		{in: `[1}`, bad: true},
		{in: `}`, bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			b := []byte(tc.in)
			end, err := scanValue(b, 0, true)
			var se *SyntaxError
			switch {
			case tc.bad || tc.incomplete && tc.end == 0:
				if !errors.As(err, &se) {
					t.Errorf("atEOF: got %d, %v; want a syntax error", end, err)
				}
			case err != nil || end != tc.end:
				t.Errorf("atEOF: got %d, %v; want %d", end, err, tc.end)
			}
			_, err = scanValue(b, 0, false)
			switch {
			case tc.incomplete:
				if !errors.Is(err, errIncomplete) {
					t.Errorf("not atEOF: got %v, want errIncomplete", err)
				}
			case tc.bad:
				if !errors.As(err, &se) {
					t.Errorf("not atEOF: got %v, want a syntax error", err)
				}
			}
		})
	}
}

// TestSplitBody shows how request bodies are cut into records, which
// bodies are refused as a whole (with the position of the problem) and
// which records are refused one by one.
func TestSplitBody(t *testing.T) {
	for _, tc := range []struct {
		name    string
		format  format
		body    string
		records []string // the items, "!" + reason for a refused one
		err     string   // error of the whole body
	}{
		{name: "ndjson", format: formatNDJSON, body: "{\"a\":1}\n\n  {\"b\":2}\r\n{\"c\":3}",
			records: []string{`{"a":1}`, `{"b":2}`, `{"c":3}`}},
		{name: "ndjson with bad lines", format: formatNDJSON, body: "{\"a\":1}\n{\"b\":\n[1]\n{\"c\":3} x\n",
			records: []string{`{"a":1}`,
				"!invalid JSON at line 2 column 6: unexpected end of input",
				"!not a JSON object: found an array",
				"!invalid JSON at line 4 column 9: data after the JSON value"}},
		{name: "ndjson none good", format: formatNDJSON, body: "hello\nworld\n", err: "no line of the body is a JSON object",
			records: []string{"!invalid JSON at line 1 column 1: unexpected character 'h' looking for a value",
				"!invalid JSON at line 2 column 1: unexpected character 'w' looking for a value"}},
		{name: "ndjson empty", format: formatNDJSON, body: "\n \n", err: "empty body"},
		{name: "array", format: formatJSON, body: "\xef\xbb\xbf [ {\"a\":1} ,{\"b\":[2]}, 3 ]\n",
			records: []string{`{"a":1}`, `{"b":[2]}`, "!not a JSON object: found a number"}},
		{name: "empty array", format: formatJSON, body: "[ ]"},
		{name: "object", format: formatJSON, body: `{"Records":[{"a":1},{"a":2}]}`, records: []string{`{"Records":[{"a":1},{"a":2}]}`}},
		{name: "truncated array", format: formatJSON, body: "[{\"a\":1},\n{\"b\":", err: "invalid JSON at line 2 column 6 (byte 15): unexpected end of input"},
		{name: "array trailing comma", format: formatJSON, body: `[{"a":1},]`, err: "invalid JSON at line 1 column 10 (byte 9): unexpected character ']' looking for a value"},
		{name: "data after array", format: formatJSON, body: `[{"a":1}] x`, err: "invalid JSON at line 1 column 11 (byte 10): data after the JSON array"},
		{name: "several objects", format: formatJSON, body: "{\"a\":1}\n{\"b\":2}", err: "data after the JSON object"},
		{name: "not json", format: formatJSON, body: "<html>", err: "invalid JSON at line 1 column 1 (byte 0): unexpected character '<' looking for a value"},
		{name: "scalar", format: formatJSON, body: `"x"`, err: "not a JSON object: the body is a string"},
		{name: "empty", format: formatJSON, body: "  ", err: "empty body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, err := splitBody([]byte(tc.body), tc.format)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			var got []string
			for _, it := range items {
				if it.err != nil {
					got = append(got, "!"+it.err.Error())
				} else {
					got = append(got, string(it.data))
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.records, "\n") {
				t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.records, "\n"))
			}
		})
	}
}

// fileItem is an item read by the streaming reader, for comparisons.
type fileItem struct {
	data string
	line int
}

// readLines reads NDJSON with the streaming reader, one byte at a time.
func readLines(text string, max int) (out []fileItem) {
	s := newReader(iotest.OneByteReader(strings.NewReader(text)), max)
	for {
		line, n, long, ok := s.nextLine()
		if !ok {
			return out
		}
		if long {
			line = append([]byte("LONG:"), line...)
		}
		out = append(out, fileItem{string(line), n})
	}
}

// TestReaderLines shows that the streaming reader cuts lines as the text
// has them, whatever the reads return, skips the rest of a line over the
// limit and numbers lines.
func TestReaderLines(t *testing.T) {
	got := readLines("ab\n\ncdefghijkl\nmn\nop", 5)
	want := []fileItem{{"ab", 1}, {"", 2}, {"LONG:cdefg", 3}, {"mn", 4}, {"op", 5}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("line %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

// TestReaderValues shows that the streaming reader returns the JSON values
// of a stream with the line each starts on, locates a syntax error by line
// and column in the stream, and refuses a value over its limit.
func TestReaderValues(t *testing.T) {
	s := newReader(iotest.HalfReader(strings.NewReader("{\n \"a\": 1\n}\n  [2,\n3]\n\n {\"b\": x}")), 1<<10)
	var got []fileItem
	for {
		if _, ok := s.peek(); !ok {
			t.Fatal("stream ended before the syntax error")
		}
		v, line, err := s.value()
		if err != nil {
			if want := "invalid JSON at line 7 column 8 (byte 29): unexpected character 'x' looking for a value"; err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			break
		}
		got = append(got, fileItem{string(v), line})
	}
	want := []fileItem{{"{\n \"a\": 1\n}", 1}, {"[2,\n3]", 4}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v, want %v", got, want)
	}

	s = newReader(strings.NewReader(`{"a":"`+strings.Repeat("x", 100)+`"}`), 50)
	if _, _, err := s.value(); !errors.Is(err, errTooLarge) {
		t.Errorf("value over the limit: %v, want errTooLarge", err)
	}
}

// FuzzScanValue checks scanValue against encoding/json on any input: a
// body is one valid JSON value exactly when json.Valid says so, and no
// input panics.
func FuzzScanValue(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,-2.5e3,"\u00e9",true,null]}`, `[1,2`, `{"a" 1}`, "\"\xff\"", `01`, `1e`, `"\ud800"`,
		`{"abcdefghijklmnop\"qrstuvwxyz\\v":"0123456789\u00e9abcdefghijklmnopq"}`, "\"abcdefghijklmnop\tq\"", "\"abcdefgh\xc3\xa9ijklmnopqrstuvwx\x7f\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end, err := scanValue(b, 0, true)
		ours := err == nil && skipSpace(b, end) == len(b)
		if theirs := json.Valid(b); ours != theirs {
			t.Fatalf("scanValue says valid=%v (end %d, %v), json.Valid says %v for %q", ours, end, err, theirs, b)
		}
		// Scanning a prefix that is not atEOF never fails on what would
		// be valid with more input.
		if ours {
			for i := 1; i < len(b); i++ {
				if _, err := scanValue(b[:i], 0, false); err != nil && !errors.Is(err, errIncomplete) {
					t.Fatalf("prefix %q of valid %q: %v", b[:i], b, err)
				}
			}
		}
	})
}

// FuzzSplitBody splits any body as NDJSON and as JSON: no input panics,
// every record handed on is one valid JSON object, and a JSON body is
// accepted only when it is valid JSON.
func FuzzSplitBody(f *testing.F) {
	for _, s := range []string{
		"{\"a\":1}\n{\"b\":2}\n", "[{\"a\":1},{\"b\":2}]", `{"Records":[{"eventVersion":"1.08"}]}`,
		"{\"a\":1}\n{\"b\":", "[{\"a\":1},", "\xef\xbb\xbf[]", "hello", "[1,\"x\",{}]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, format := range []format{formatNDJSON, formatJSON} {
			items, err := splitBody(body, format)
			for _, it := range items {
				if it.err != nil {
					continue
				}
				if !json.Valid(it.data) || it.data[0] != '{' {
					t.Fatalf("%s: record %q handed on is not a JSON object", format, it.data)
				}
			}
			if format == formatJSON && err == nil && !json.Valid(body[skipBOM(body):]) {
				t.Fatalf("json body %q accepted but not valid JSON", body)
			}
		}
		// The streaming reader cuts NDJSON as the in-memory splitter does.
		want, _ := splitLines(body)
		var got []item
		for _, l := range readLines(string(body[skipBOM(body):]), len(body)+1) {
			if it, ok := lineItem([]byte(l.data), l.line); ok {
				got = append(got, it)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("streaming reader: %d records, in memory: %d", len(got), len(want))
		}
		for i := range got {
			if string(got[i].data) != string(want[i].data) || got[i].line != want[i].line || (got[i].err == nil) != (want[i].err == nil) {
				t.Fatalf("record %d: streaming %q line %d (%v), in memory %q line %d (%v)",
					i, got[i].data, got[i].line, got[i].err, want[i].data, want[i].line, want[i].err)
			}
		}
	})
}

// BenchmarkSplitBody measures the check and split of an NDJSON body of
// CloudTrail-like records, before the pipeline.
func BenchmarkSplitBody(b *testing.B) {
	rec := `{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:agent","arn":"arn:aws:sts::123456789012:assumed-role/agent/s","accountId":"123456789012"},"eventTime":"2025-03-14T09:26:41Z","eventSource":"bedrock.amazonaws.com","eventName":"InvokeModel","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"Boto3/1.34.62 md/Botocore#1.34.62 ua/2.0 os/linux#6.1.0 lang/python#3.12.2","requestParameters":{"modelId":"anthropic.claude-3-5-sonnet-20240620-v1:0"},"responseElements":null,"requestID":"4e5f6071-92a3-44b5-8061-8293a4b5c6d7","eventID":"8294d55e-b3a4-40e2-9465-91a2b3c4d5e6","readOnly":true,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"123456789012","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"bedrock-runtime.us-east-1.amazonaws.com"}}`
	body := []byte(strings.Repeat(rec+"\n", 500))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := splitBody(body, formatNDJSON); err != nil {
			b.Fatal(err)
		}
	}
}
