package input_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest/input"
	"github.com/aitdr/aitdr/schemas"
)

// writeFile writes data to dir/name, creating folders.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func (e *env) runFiles(t testing.TB, cfg input.FilesConfig) (input.Summary, error) {
	t.Helper()
	f, err := input.NewFiles(cfg, e.proc, e.pub)
	if err != nil {
		t.Fatal(err)
	}
	return f.Run(context.Background())
}

// TestFilesFolder shows a folder read recursively: NDJSON, a gzipped
// CloudTrail log file and a JSON array are read, other and hidden files
// are skipped, and the summary counts files, records, events and rejected
// records by product, matching what is on the topics.
func TestFilesFolder(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	ok := records(t, "okta", oktaRecords...)
	ct := records(t, "cloudtrail", cloudTrailRecords...)
	writeFile(t, dir, "okta/2025-03-14.ndjson", ndjson(ok...))
	writeFile(t, dir, "aws/111122223333_CloudTrail_us-east-1_20250314T0205Z.json.gz", gzipped(t, sample(t, "cloudtrail", "logfile_pipeline_run")))
	writeFile(t, dir, "aws/export.json", jsonArray(ct...))
	writeFile(t, dir, "aws/README.txt", []byte("not records"))
	writeFile(t, dir, ".hidden/x.json", ndjson(ok...))

	sum, err := e.runFiles(t, input.FilesConfig{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	events := int64(len(ok) + 3 + len(ct))
	if sum.Files != 3 || sum.Skipped != 1 || sum.Records != events || sum.Events != events || sum.Rejected != 0 || sum.Bytes == 0 || len(sum.Problems) != 0 {
		t.Errorf("summary %+v", sum)
	}
	if sum.ByProduct[schemas.ProductOkta].Events != int64(len(ok)) || sum.ByProduct[schemas.ProductAWSCloudTrail].Events != int64(3+len(ct)) {
		t.Errorf("by product %+v", sum.ByProduct)
	}
	for _, want := range []string{"files     3 read, 1 skipped", "events    " + itoa(events), "okta", "aws.cloudtrail"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary text lacks %q:\n%s", want, sum)
		}
	}
	e.readEvents(t, int(events))
	e.counts(t, events, 0)
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestFilesBadRecords shows that the bad records of files are dead-lettered
// with their reason and origin, and reading goes on: a truncated last line
// of NDJSON ("line N"), a record of no known source, a bad record inside a
// pretty-printed CloudTrail log file ("line 1 record K", where the document
// starts), and a truncated JSON array whose rest is one dead letter.
func TestFilesBadRecords(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	ok := records(t, "okta", "auth_via_mfa", "session_start_success")
	truncated := ok[1][:len(ok[1])-20]
	nd := writeFile(t, dir, "okta.ndjson", append(ndjson(ok[0], []byte(`{"unknown":true}`), ok[1]), truncated...))

	ct := records(t, "cloudtrail", "bedrock_invoke_model", "s3_get_object")
	bad := bytes.Replace(ct[1], []byte(`"eventTime"`), []byte(`"eventTimeX"`), 1)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(`{"Records":[`+string(ct[0])+`,`+string(bad)+`]}`), "", "  "); err != nil {
		t.Fatal(err)
	}
	logFile := writeFile(t, dir, "pretty.json", pretty.Bytes())

	arr := jsonArray(ct...)
	cut := arr[:len(arr)-30]
	array := writeFile(t, dir, "cut.json", cut)

	sum, err := e.runFiles(t, input.FilesConfig{Paths: []string{nd, logFile, array}, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 3 || sum.Records != 8 || sum.Events != 4 || sum.Rejected != 4 {
		t.Errorf("summary %+v", sum)
	}
	dead := e.readDeadLetters(t, 4)
	want := []struct{ input, reason, value string }{
		{"file " + nd + " line 2", "no source recognizes the record", `{"unknown":true}`},
		{"file " + nd + " line 4", "invalid JSON at line 4 column", string(truncated)},
		{"file " + logFile + " line 1 record 1", "eventTime", ""},
		{"file " + array + " line 1", "invalid JSON at line 1 column", string(cut[len(ct[0])+2:])},
	}
	for i, w := range want {
		d := dead[i]
		if d.input != w.input || !strings.Contains(d.reason, w.reason) || w.value != "" && d.value != w.value {
			t.Errorf("dead letter %d: input %q reason %q value %.80q;\nwant input %q reason with %q value %.80q", i, d.input, d.reason, d.value, w.input, w.reason, w.value)
		}
	}
	if !strings.Contains(dead[3].reason, "the rest of the file from line 1") {
		t.Errorf("truncated array reason %q", dead[3].reason)
	}
	e.counts(t, 4, 4)
}

// TestFilesLongLine shows that an NDJSON line over MaxDeliveryBytes is
// dead-lettered with its start and the lines after it are read.
func TestFilesLongLine(t *testing.T) {
	e := newEnv(t)
	ok := sample(t, "okta", "auth_via_mfa")
	long := []byte(`{"x":"` + strings.Repeat("y", 10000) + `"}`)
	path := writeFile(t, t.TempDir(), "long.ndjson", ndjson(ok, long, ok))
	sum, err := e.runFiles(t, input.FilesConfig{Paths: []string{path}, MaxDeliveryBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Events != 2 || sum.Rejected != 1 {
		t.Errorf("summary %+v", sum)
	}
	d := e.readDeadLetters(t, 1)[0]
	if d.input != "file "+path+" line 2" || !strings.Contains(d.reason, "line 2 is longer than the 4096-byte limit") || !strings.HasPrefix(string(long), d.value) {
		t.Errorf("dead letter input %q reason %q", d.input, d.reason)
	}
}

// TestFilesProblems shows that files that cannot be read to the end are
// listed in the summary, the other files are still read, and Run returns
// ErrFileProblems; and that a missing path fails before anything is read.
func TestFilesProblems(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	ok := sample(t, "okta", "auth_via_mfa")
	good := writeFile(t, dir, "good.ndjson", ndjson(ok))
	gz := gzipped(t, ndjson(ok, ok, ok))
	corrupt := writeFile(t, dir, "corrupt.ndjson.gz", gz[:len(gz)-12])
	sum, err := e.runFiles(t, input.FilesConfig{Paths: []string{good, corrupt}})
	if !errors.Is(err, input.ErrFileProblems) {
		t.Fatalf("Run: %v, want ErrFileProblems", err)
	}
	if len(sum.Problems) != 1 || sum.Problems[0].Path != corrupt || !strings.Contains(sum.Problems[0].Reason, "unexpected EOF") {
		t.Errorf("problems %+v", sum.Problems)
	}
	if sum.Files != 2 || sum.Events < 1 || sum.Records != sum.Events+sum.Rejected {
		t.Errorf("summary %+v", sum)
	}

	if _, err := e.runFiles(t, input.FilesConfig{Paths: []string{good, filepath.Join(dir, "missing.json")}}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing path: %v", err)
	}
	if _, err := input.NewFiles(input.FilesConfig{Source: "Bad Name"}, e.proc, e.pub); err == nil ||
		!strings.Contains(err.Error(), "paths: required") || !strings.Contains(err.Error(), `source: "Bad Name"`) {
		t.Errorf("invalid config: %v", err)
	}
}

// TestFilesSource shows that a source named in the config applies to every
// record: Okta records read as CloudTrail are rejected.
func TestFilesSource(t *testing.T) {
	e := newEnv(t)
	path := writeFile(t, t.TempDir(), "okta.ndjson", ndjson(sample(t, "okta", "auth_via_mfa"), sample(t, "cloudtrail", "s3_get_object")))
	sum, err := e.runFiles(t, input.FilesConfig{Paths: []string{path}, Source: schemas.ProductAWSCloudTrail})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Events != 1 || sum.Rejected != 1 || sum.ByProduct[schemas.ProductAWSCloudTrail] != (input.ProductCounts{Events: 1, Rejected: 1}) {
		t.Errorf("summary %+v", sum)
	}
	if d := e.readDeadLetters(t, 1)[0]; d.source != "aws.cloudtrail" {
		t.Errorf("dead letter source %q", d.source)
	}
}

// TestFilesPages shows that arrays written one after the other (API pages
// appended to one file) are read element by element, each element named by
// its line and index.
func TestFilesPages(t *testing.T) {
	e := newEnv(t)
	ok := records(t, "okta", "auth_via_mfa", "session_start_success", "api_token_create")
	body := append(jsonArray(ok[0], ok[1]), '\n')
	body = append(body, jsonArray(ok[2], []byte("42"))...)
	path := writeFile(t, t.TempDir(), "pages.json", body)
	sum, err := e.runFiles(t, input.FilesConfig{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != 4 || sum.Events != 3 || sum.Rejected != 1 {
		t.Errorf("summary %+v", sum)
	}
	if d := e.readDeadLetters(t, 1)[0]; d.input != "file "+path+" line 2 index 1" || d.value != "42" || !strings.Contains(d.reason, "not a JSON object: found a number") {
		t.Errorf("dead letter %+v", d)
	}
}

// FuzzFiles reads any file content through the Files input, the real
// pipeline and a publisher that acknowledges at once: no content panics,
// only file problems are reported, and records in = events + dead letters.
func FuzzFiles(f *testing.F) {
	f.Add(ndjson(sample(f, "okta", "auth_via_mfa"), []byte(`{"a":`)))
	f.Add(sample(f, "cloudtrail", "logfile_pipeline_run"))
	f.Add(jsonArray(sample(f, "cloudtrail", "s3_get_object"), []byte("1")))
	f.Add([]byte("{\n \"Records\": [\n  {\"eventVersion\": \"1.08\"}\n ]\n}\n[{\"a\":1}][2,"))
	f.Add([]byte("\xef\xbb\xbf[]\n{}\n"))
	proc := newPipeline(f)
	pub, err := input.NewPublisher(instantAcks{}, input.PublisherConfig{EventsTopic: "e", DeadLetterTopic: "d", Stage: "ingest", MaxRecordBytes: 4096})
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		files, err := input.NewFiles(input.FilesConfig{Paths: []string{path}, MaxDeliveryBytes: 1024}, proc, pub)
		if err != nil {
			t.Fatal(err)
		}
		// A hang fails with the input and every goroutine's stack.
		type result struct {
			sum input.Summary
			err error
		}
		done := make(chan result, 1)
		go func() { sum, err := files.Run(context.Background()); done <- result{sum, err} }()
		var sum input.Summary
		select {
		case r := <-done:
			sum, err = r.sum, r.err
		case <-time.After(10 * time.Second):
			stack := make([]byte, 1<<20)
			t.Fatalf("Run hangs on %q:\n%s", data, stack[:runtime.Stack(stack, true)])
		}
		if err != nil && !errors.Is(err, input.ErrFileProblems) {
			t.Fatalf("Run: %v", err)
		}
		if sum.Records != sum.Events+sum.Rejected {
			t.Fatalf("summary does not balance: %+v", sum)
		}
	})
}
