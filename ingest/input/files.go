package input

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/schemas"
)

// Defaults of the FilesConfig fields left at their zero value.
const (
	// DefaultMaxDeliveryBytes is the default bound on one line, array
	// element or JSON document held in memory.
	DefaultMaxDeliveryBytes = 256 << 20
	// DefaultProgressInterval is how often the progress line is rewritten.
	DefaultProgressInterval = 500 * time.Millisecond
)

// ErrFileProblems is returned, wrapped, by (*Files).Run when some files
// could not be read to their end; Summary.Problems says which and why.
var ErrFileProblems = errors.New("some files could not be read to the end")

// fileExts are the names of the files read from folders, each also with
// ".gz".
var fileExts = []string{".json", ".jsonl", ".ndjson", ".jsonlines"}

// FilesConfig configures a Files input.
type FilesConfig struct {
	// Paths are the files and folders to read. A folder is read
	// recursively: its files named *.json, *.jsonl, *.ndjson or
	// *.jsonlines, each optionally followed by .gz, skipping hidden files
	// and folders (names starting with "."). A file named in Paths is read
	// whatever its name. Required.
	Paths []string `yaml:"paths"`
	// Source names the source product of every record ("aws.cloudtrail");
	// empty detects it per record. Default empty.
	Source schemas.Product `yaml:"source"`
	// Concurrency is the number of files read at once. The records of one
	// file are published in order. Default runtime.GOMAXPROCS(0), at most 4.
	Concurrency int `yaml:"concurrency"`
	// MaxDeliveryBytes bounds one line, array element or JSON document
	// (such as a CloudTrail log file) held in memory. A longer line is
	// dead-lettered with its start and the reading goes on at the next
	// line; a longer element or document ends the reading of its file,
	// the rest of which is dead-lettered as one record with its start.
	// Default DefaultMaxDeliveryBytes.
	MaxDeliveryBytes int `yaml:"max_delivery_bytes"`

	// Progress receives a progress line, rewritten in place, when it is a
	// terminal (such as os.Stderr on a terminal); nothing is written to
	// anything else. Default none.
	Progress io.Writer `yaml:"-"`
	// ProgressInterval is how often the progress line is rewritten.
	// Default DefaultProgressInterval.
	ProgressInterval time.Duration `yaml:"-"`
}

// Validate returns every problem of c, each naming its field path, joined
// with errors.Join, or nil.
func (c FilesConfig) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Paths) == 0 {
		add("paths: required")
	}
	for i, p := range c.Paths {
		if p == "" {
			add("paths[%d]: empty", i)
		}
	}
	if c.Source != "" && !c.Source.Valid() {
		add("source: %q is not a valid source product name", c.Source)
	}
	if c.Concurrency < 0 {
		add("concurrency: %d is negative", c.Concurrency)
	}
	if c.MaxDeliveryBytes < 0 {
		add("max_delivery_bytes: %d is negative", c.MaxDeliveryBytes)
	}
	if c.ProgressInterval < 0 {
		add("progress_interval: %s is negative", c.ProgressInterval)
	}
	return errors.Join(errs...)
}

func (c FilesConfig) withDefaults() FilesConfig {
	if c.Concurrency == 0 {
		c.Concurrency = min(runtime.GOMAXPROCS(0), 4)
	}
	if c.MaxDeliveryBytes == 0 {
		c.MaxDeliveryBytes = DefaultMaxDeliveryBytes
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = DefaultProgressInterval
	}
	return c
}

// Files is the file input of the ingest stage (aitdr ingest file): it
// reads files and folders of source records and publishes their events and
// dead letters, then returns a Summary.
//
// A file is gzip-compressed when it starts with the gzip magic number,
// whatever its name. Its content is one of:
//
//   - NDJSON: one record per line, read line by line in bounded memory. A
//     line that is not a JSON object (a truncated last line, say) is
//     dead-lettered with its reason, and reading goes on.
//   - JSON documents, one or more (pretty-printed, say): each an array of
//     records, read element by element (so API pages written one after
//     the other are read too), or an object, a record or a container such
//     as a CloudTrail log file ({"Records": [...]}), which the source
//     splits.
//
// Dead letters name their origin "file PATH line N" (the line where the
// record or its document starts) or "file PATH line N index I" (the
// element I, 0-based, of an array, starting on line N), followed by
// " record K" for the K-th (0-based) record of a container. A syntax error
// in a document leaves the rest of the file uncut: it is dead-lettered as
// one record, with the error and its start. Records in = events + dead
// letters, checked per file.
type Files struct {
	cfg  FilesConfig
	proc Processor
	pub  *Publisher
	opts options
	ins  *recordInstruments
}

// NewFiles returns the Files input over proc (the pipeline) and pub. It
// fails on an invalid cfg, listing every problem, and on a Source that
// proc does not normalize (when proc is a ProductLister).
func NewFiles(cfg FilesConfig, proc Processor, pub *Publisher, opts ...Option) (*Files, error) {
	if proc == nil || pub == nil {
		return nil, errors.New("ingest file input: nil processor or publisher")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ingest file input config: %w", err)
	}
	if err := checkHint(proc, cfg.Source); err != nil {
		return nil, fmt.Errorf("ingest file input config: source: %w", err)
	}
	f := &Files{cfg: cfg.withDefaults(), proc: proc, pub: pub, opts: newOptions(opts)}
	var err error
	if f.ins, err = newRecordInstruments(f.opts.mp.Meter(instrumentation), "file"); err != nil {
		return nil, fmt.Errorf("ingest file input: %w", err)
	}
	return f, nil
}

// Summary is the outcome of a Files run.
type Summary struct {
	// Files is the number of files read.
	Files int `json:"files"`
	// Skipped is the number of files in folders that were not read for
	// their names.
	Skipped int `json:"skipped"`
	// Bytes is the number of bytes read from the files (compressed).
	Bytes int64 `json:"bytes"`
	// Records is the number of records read (after splitting containers).
	Records int64 `json:"records"`
	// Events is the number of events acknowledged on the events topic.
	Events int64 `json:"events"`
	// Rejected is the number of records acknowledged on the dead-letter
	// topic.
	Rejected int64 `json:"rejected"`
	// ByProduct splits Events and Rejected by source product; "" holds the
	// records whose source was not found.
	ByProduct map[schemas.Product]ProductCounts `json:"by_product"`
	// Problems lists the files that could not be read to the end.
	Problems []FileProblem `json:"problems,omitempty"`
	// Duration is the time the run took.
	Duration time.Duration `json:"duration"`
}

// FileProblem is a file that could not be read to its end: it could not
// be opened, a read or decompression failed, or its JSON ended early.
// The records read before the problem were published.
type FileProblem struct {
	Path string `json:"path"`
	Err  error  `json:"-"`
	// Reason is Err's text.
	Reason string `json:"reason"`
}

// String formats the summary for a terminal, one item per line.
func (s Summary) String() string {
	var b strings.Builder
	secs := s.Duration.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(s.Records) / secs
	}
	fmt.Fprintf(&b, "files     %d read", s.Files)
	if s.Skipped > 0 {
		fmt.Fprintf(&b, ", %d skipped for their names", s.Skipped)
	}
	fmt.Fprintf(&b, ", %s\n", formatBytes(float64(s.Bytes)))
	fmt.Fprintf(&b, "records   %d in %s (%.0f/s)\n", s.Records, s.Duration.Round(time.Millisecond), rate)
	fmt.Fprintf(&b, "events    %d\n", s.Events)
	fmt.Fprintf(&b, "rejected  %d (on the dead-letter topic, with their reasons)\n", s.Rejected)
	products := make([]schemas.Product, 0, len(s.ByProduct))
	for p := range s.ByProduct {
		products = append(products, p)
	}
	slices.Sort(products)
	for _, p := range products {
		name := string(p)
		if name == "" {
			name = "(unknown source)"
		}
		c := s.ByProduct[p]
		fmt.Fprintf(&b, "  %-20s %d events, %d rejected\n", name, c.Events, c.Rejected)
	}
	for _, p := range s.Problems {
		fmt.Fprintf(&b, "problem   %s: %s\n", p.Path, p.Reason)
	}
	return b.String()
}

// Run reads every file, publishes the results and returns the summary once
// every record is acknowledged by the brokers. A file that cannot be read
// to its end is listed in Summary.Problems and the others are read; Run
// then returns an error wrapping ErrFileProblems. Run stops at the first
// failure to publish (the brokers refused a record, or the client gave up:
// set kgo.RecordDeliveryTimeout to bound that), when ctx ends, or when the
// records do not balance, and returns the summary so far with the error.
// A path that does not exist fails Run before anything is read.
func (f *Files) Run(ctx context.Context) (Summary, error) {
	start := f.opts.now()
	sum := Summary{ByProduct: make(map[schemas.Product]ProductCounts)}
	files, skipped, total, err := f.walk()
	sum.Skipped = skipped
	if err != nil {
		return sum, err
	}
	prog := newProgress(f.cfg.Progress, f.cfg.ProgressInterval, f.opts.now, len(files), total)
	stopProgress := prog.start()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu    sync.Mutex
		fatal error
		next  atomic.Int64
		wg    sync.WaitGroup
	)
	for range min(f.cfg.Concurrency, max(len(files), 1)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) || ctx.Err() != nil {
					return
				}
				out := f.file(ctx, files[i], prog)
				prog.fileDone()
				mu.Lock()
				sum.Files++
				sum.Records += out.counts.In
				sum.Events += out.tally.Events
				sum.Rejected += out.tally.DeadLettered
				for p, c := range out.tally.ByProduct {
					s := sum.ByProduct[p]
					s.Events += c.Events
					s.Rejected += c.Rejected
					sum.ByProduct[p] = s
				}
				if out.problem != nil {
					sum.Problems = append(sum.Problems, FileProblem{Path: files[i], Err: out.problem, Reason: out.problem.Error()})
				}
				if out.fatal != nil && fatal == nil {
					fatal = out.fatal
					cancel(out.fatal)
				}
				mu.Unlock()
				f.ins.record(context.WithoutCancel(ctx), out.tally)
			}
		})
	}
	wg.Wait()
	stopProgress()
	sum.Bytes = prog.bytes.Load()
	sum.Duration = f.opts.now().Sub(start)
	slices.SortFunc(sum.Problems, func(a, b FileProblem) int { return strings.Compare(a.Path, b.Path) })
	switch {
	case fatal != nil:
		return sum, fmt.Errorf("ingest files: %w", fatal)
	case ctx.Err() != nil:
		return sum, fmt.Errorf("ingest files: %w", context.Cause(ctx))
	case len(sum.Problems) > 0:
		return sum, fmt.Errorf("ingest files: %d of %d files: %w", len(sum.Problems), sum.Files, ErrFileProblems)
	}
	return sum, nil
}

// walk lists the files to read, in order, and their total size.
func (f *Files) walk() (files []string, skipped int, total int64, err error) {
	seen := make(map[string]bool)
	addFile := func(path string, size int64) {
		key := path
		if abs, err := filepath.Abs(path); err == nil {
			key = abs
		}
		if seen[key] {
			return
		}
		seen[key] = true
		files = append(files, path)
		total += size
	}
	for _, root := range f.cfg.Paths {
		info, err := os.Stat(root)
		if err != nil {
			return nil, skipped, 0, fmt.Errorf("ingest files: %w", err)
		}
		if !info.IsDir() {
			addFile(root, info.Size())
			continue
		}
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("walk %s: %w", path, err)
			}
			hidden := path != root && strings.HasPrefix(d.Name(), ".")
			if d.IsDir() {
				if hidden {
					return filepath.SkipDir
				}
				return nil
			}
			info, err := os.Stat(path) // follows a symbolic link
			if err != nil {
				return fmt.Errorf("walk %s: %w", path, err)
			}
			if hidden || !info.Mode().IsRegular() || !readable(d.Name()) {
				skipped++
				return nil
			}
			addFile(path, info.Size())
			return nil
		})
		if err != nil {
			return nil, skipped, 0, fmt.Errorf("ingest files: %w", err)
		}
	}
	return files, skipped, total, nil
}

// readable reports whether a file in a folder is read, by its name.
func readable(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".gz")
	for _, ext := range fileExts {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// fileOutcome is what became of one file.
type fileOutcome struct {
	counts  pipeline.Counts
	tally   Tally
	problem error // the file could not be read to its end
	fatal   error // publishing failed: stop
}

// fileRun is the reading of one file.
type fileRun struct {
	f      *Files
	ctx    context.Context
	path   string
	base   string // "file PATH"
	s      *reader
	batch  *Batch
	prog   *progress
	counts pipeline.Counts
	// problem is why the file was not read to its end; fatal is a
	// publishing failure.
	problem, fatal error
}

// file reads one file and publishes its records.
func (f *Files) file(ctx context.Context, path string, prog *progress) fileOutcome {
	fh, err := os.Open(path)
	if err != nil {
		return fileOutcome{problem: err}
	}
	defer fh.Close()
	br := bufio.NewReaderSize(&countingReader{r: fh, n: &prog.bytes}, minRead)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fileOutcome{problem: fmt.Errorf("gzip: %w", err)}
		}
		defer zr.Close()
		src = zr
	}
	r := &fileRun{
		f: f, ctx: ctx, path: path, base: "file " + path,
		s:     newReader(src, f.cfg.MaxDeliveryBytes),
		batch: f.pub.NewBatch(),
		prog:  prog,
	}
	r.s.skipBOM()
	if c, ok := r.s.peek(); ok {
		if c == '[' {
			r.documents()
		} else {
			r.lines()
		}
	}
	if r.s.err != nil && r.problem == nil {
		r.problem = fmt.Errorf("read at byte %d of the content: %w", r.s.offset(), r.s.err)
	}
	tally, err := r.batch.Wait(ctx, r.counts)
	if err != nil && r.fatal == nil {
		r.fatal = fmt.Errorf("file %s: %w", path, err)
	}
	return fileOutcome{counts: r.counts, tally: tally, problem: r.problem, fatal: r.fatal}
}

// stopped reports whether reading must stop.
func (r *fileRun) stopped() bool { return r.fatal != nil || r.ctx.Err() != nil }

// publish normalizes one item and publishes its results.
func (r *fileRun) publish(it item, base string) {
	if it.err != nil {
		r.counts = r.counts.Add(pipeline.Counts{In: 1, Rejected: 1})
		r.prog.records.Add(1)
		r.prog.rejected.Add(1)
		if err := r.batch.Reject(r.ctx, it.data, r.f.cfg.Source, base, it.err); err != nil {
			r.fatal = err
		}
		return
	}
	c, err := deliver(r.ctx, r.f.proc, it.data, r.f.cfg.Source, func(res pipeline.Result, record int) {
		r.prog.records.Add(1)
		if res.Event == nil {
			r.prog.rejected.Add(1)
		}
		if r.fatal == nil {
			if err := r.batch.Add(r.ctx, res, origin(base, record)); err != nil {
				r.fatal = err
			}
		}
	})
	r.counts = r.counts.Add(c)
	if err != nil && r.fatal == nil {
		r.fatal = err
	}
}

// lines reads NDJSON, switching to documents when the first line is the
// start of a document that goes on over several lines.
func (r *fileRun) lines() {
	first := true
	for !r.stopped() {
		text, line, long, ok := r.s.nextLine()
		if !ok {
			return
		}
		base := r.base + " line " + strconv.Itoa(line)
		if long {
			r.publish(item{data: text, line: line, err: fmt.Errorf("line %d is longer than the %d-byte limit (max_delivery_bytes)", line, r.f.cfg.MaxDeliveryBytes)}, base)
			first = false
			continue
		}
		if first {
			start := skipSpace(text, 0)
			if start == len(text) {
				continue
			}
			first = false
			if _, err := scanValue(text, start, false); errors.Is(err, errIncomplete) {
				r.s.unreadLine()
				r.documents()
				return
			}
		}
		if it, ok := lineItem(text, line); ok {
			r.publish(it, base)
		}
	}
}

// documents reads a sequence of JSON documents: objects (records, or
// containers that the source splits) and arrays of records.
func (r *fileRun) documents() {
	for !r.stopped() {
		c, ok := r.s.peek()
		if !ok {
			return
		}
		if c == '[' {
			if !r.array() {
				return
			}
			continue
		}
		data, line, err := r.s.value()
		if err != nil {
			r.rest(err)
			return
		}
		it := item{data: data, line: line}
		if data[0] != '{' {
			it.err = fmt.Errorf("%w: found %s", ErrNotObject, kind(data[0]))
		}
		r.publish(it, r.base+" line "+strconv.Itoa(line))
	}
}

// array reads a JSON array of records, and reports whether the reading of
// the file can go on after it.
func (r *fileRun) array() bool {
	r.s.advance(1) // '['
	if c, ok := r.s.peek(); ok && c == ']' {
		r.s.advance(1)
		return true
	}
	for index := 0; ; index++ {
		if r.stopped() {
			return false
		}
		data, line, err := r.s.value()
		if err != nil {
			r.rest(err)
			return false
		}
		it := item{data: data, index: index, line: line, element: true}
		if data[0] != '{' {
			it.err = fmt.Errorf("%w: found %s", ErrNotObject, kind(data[0]))
		}
		r.publish(it, r.base+" line "+strconv.Itoa(line)+" index "+strconv.Itoa(index))
		c, ok := r.s.peek()
		if !ok {
			if r.s.err == nil {
				r.problem = r.s.locate(syntaxAt(0, "unexpected end of input in the array after element %d", index))
			}
			return false
		}
		switch c {
		case ']':
			r.s.advance(1)
			return true
		case ',':
			r.s.advance(1)
		default:
			r.rest(r.s.locate(syntaxAt(0, "unexpected character %s after array element %d, want ',' or ']'", quoteByte(c), index)))
			return false
		}
	}
}

// rest dead-letters the rest of the file, which cannot be cut into
// records, as one record with its start and the reason.
func (r *fileRun) rest(cause error) {
	line := r.s.line
	prefix, total := r.s.rest(r.f.pub.cfg.MaxRecordBytes)
	var reason error
	if errors.Is(cause, errTooLarge) {
		reason = fmt.Errorf("JSON value at line %d is over the %d-byte limit (max_delivery_bytes): the rest of the file, %d bytes, is this dead letter",
			line, r.f.cfg.MaxDeliveryBytes, total)
	} else {
		reason = fmt.Errorf("%w: the rest of the file from line %d, %d bytes, is this dead letter", cause, line, total)
	}
	if total == 0 {
		// Nothing left to dead-letter: the file ended early.
		r.problem = cause
		return
	}
	r.publish(item{data: prefix, line: line, err: reason}, r.base+" line "+strconv.Itoa(line))
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
