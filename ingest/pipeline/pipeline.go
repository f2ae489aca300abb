// Package pipeline turns deliveries into events: the path every input
// (HTTP, files, the Kafka raw topic) takes. For one delivery it finds the
// source (named by the input, or detected), splits containers, normalizes
// each record, sets the fields ingest owns (id, schema version, observed
// time, raw record), scans the prompt and content text for sensitive data,
// applies the source's content policy to the prompt and the raw record,
// and validates the event. Every record comes out as an event or as a
// rejected record with the reason, and Counts balance: in = out +
// rejected.
package pipeline

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/scan"
	"github.com/aitdr/aitdr/schemas"
)

// ContentFieldRedactor is a ContentRedactor that names the field of each
// text: replace gets the field's path in the record, in the source's own
// names ("messages[1].content"). The pipeline scans each field where it is
// and reports the path in DataFinding.Locations; for a source that is only
// a ContentRedactor it scans ai.prompt.text instead.
type ContentFieldRedactor interface {
	RedactContentFields(record []byte, replace func(field, text string) string) ([]byte, error)
}

// Result is what became of one record: an event, or a rejected record.
type Result struct {
	// Event is the normalized event; nil when the record was rejected.
	// The event is the caller's; it shares nothing with the delivery.
	Event *schemas.Event
	// Record is the rejected record, with its content fields rewritten by
	// the source's policy when the source can parse it; nil for an
	// event. It may share memory with the delivery: copy it to keep it
	// after emit returns.
	Record []byte
	// Product is the source of the record; empty when none was found.
	Product schemas.Product
	// Err is why the record was rejected: an error naming the field
	// (errors.As finds the *ingest.FieldError or *schemas.FieldError),
	// or ingest.ErrUnknownSource.
	Err error
}

// Counts is the accounting of records: every record in is either out as
// an event or rejected.
type Counts struct {
	// In is the number of records: after splitting, or one for a delivery
	// that could not be split.
	In int64
	// Out is the number of events emitted.
	Out int64
	// Rejected is the number of records rejected.
	Rejected int64
}

// Balanced reports whether In = Out + Rejected.
func (c Counts) Balanced() bool { return c.In == c.Out+c.Rejected }

// Add returns the sum of c and d.
func (c Counts) Add(d Counts) Counts {
	return Counts{In: c.In + d.In, Out: c.Out + d.Out, Rejected: c.Rejected + d.Rejected}
}

// Pipeline normalizes deliveries into events. It is safe for concurrent
// use.
type Pipeline struct {
	sources   []ingest.Source
	byProduct map[schemas.Product]ingest.Source
	content   Content
	scanner   *scan.Scanner
	now       func() time.Time
	key       []byte
	ephemeral bool
	macs      sync.Pool

	in, out, rejected atomic.Int64
}

// New returns a Pipeline over sources, tried in order when a delivery does
// not name its source. It fails on an invalid cfg, on a missing, short or
// unreadable hash key when one is required, and on two sources of one
// product.
func New(cfg Config, sources ...ingest.Source) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ingest pipeline config: %w", err)
	}
	p := &Pipeline{
		sources:   sources,
		byProduct: make(map[schemas.Product]ingest.Source, len(sources)),
		content:   cfg.Content,
		now:       cfg.Now,
	}
	if p.now == nil {
		p.now = time.Now
	}
	for i, s := range sources {
		if s == nil {
			return nil, fmt.Errorf("ingest pipeline: source %d is nil", i)
		}
		if _, dup := p.byProduct[s.Product()]; dup {
			return nil, fmt.Errorf("ingest pipeline: two sources of product %q", s.Product())
		}
		p.byProduct[s.Product()] = s
	}
	var err error
	if p.scanner, err = scan.New(cfg.Scan); err != nil {
		return nil, fmt.Errorf("ingest pipeline: %w", err)
	}
	if p.key, p.ephemeral, err = hashKey(cfg); err != nil {
		return nil, fmt.Errorf("ingest pipeline: %w", err)
	}
	if p.ephemeral {
		logger := cfg.Logger
		if logger == nil {
			logger = slog.Default()
		}
		env := cfg.Content.HashKeyEnv
		if env == "" {
			env = DefaultHashKeyEnv
		}
		logger.Warn("ingest: no prompt-hash key configured; using a random key for this process, so prompt hashes will not match across processes or restarts",
			"set", "content.hash_key_file or $"+env)
	}
	p.macs.New = func() any { return hmac.New(sha256.New, p.key) }
	return p, nil
}

// hashKey returns the prompt-hash key of cfg, and whether it was generated
// for this process.
func hashKey(cfg Config) ([]byte, bool, error) {
	c := cfg.Content
	if len(c.HashKey) > 0 {
		return slices.Clone(c.HashKey), false, nil
	}
	if c.HashKeyFile != "" {
		b, err := os.ReadFile(c.HashKeyFile)
		if err != nil {
			return nil, false, fmt.Errorf("content.hash_key_file: %w", err)
		}
		k := bytes.TrimSpace(b)
		if len(k) < MinHashKeyLen {
			return nil, false, fmt.Errorf("content.hash_key_file: %s holds %d bytes, want at least %d", c.HashKeyFile, len(k), MinHashKeyLen)
		}
		return k, false, nil
	}
	env := c.HashKeyEnv
	if env == "" {
		env = DefaultHashKeyEnv
	}
	lookup := cfg.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if v, ok := lookup(env); ok && strings.TrimSpace(v) != "" {
		k := []byte(strings.TrimSpace(v))
		if len(k) < MinHashKeyLen {
			return nil, false, fmt.Errorf("content.hash_key_env: $%s holds %d bytes, want at least %d", env, len(k), MinHashKeyLen)
		}
		return k, false, nil
	}
	if c.RequireHashKey {
		return nil, false, fmt.Errorf("content.require_hash_key: no prompt-hash key: set content.hash_key_file or $%s", env)
	}
	k := make([]byte, MinHashKeyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, false, fmt.Errorf("generate a prompt-hash key: %w", err)
	}
	return k, true, nil
}

// Products returns the source products the pipeline normalizes, in
// detection order; the inputs refuse a source name outside it.
func (p *Pipeline) Products() []schemas.Product {
	out := make([]schemas.Product, len(p.sources))
	for i, s := range p.sources {
		out[i] = s.Product()
	}
	return out
}

// EphemeralKey reports whether the prompt-hash key was generated for this
// process because none was configured.
func (p *Pipeline) EphemeralKey() bool { return p.ephemeral }

// Totals returns the counts of every delivery processed so far.
func (p *Pipeline) Totals() Counts {
	// Read rejected and out before in: concurrent deliveries only ever
	// add, so the sum read never exceeds in.
	r, o := p.rejected.Load(), p.out.Load()
	return Counts{In: p.in.Load(), Out: o, Rejected: r}
}

// Process turns one delivery into results, calling emit once per record,
// in order. hint names the source product when the input knows it; empty
// detects it: the first source whose Detect is true. A delivery that is a
// container of its source (a log file, a list page) is split into its
// records, and each of those once more (an envelope holding a record); an
// empty container has no records and emits nothing. Process returns the
// counts of this delivery, and an error only when ctx ends, after the
// records emitted so far (which the counts include).
func (p *Pipeline) Process(ctx context.Context, delivery []byte, hint schemas.Product, emit func(Result)) (Counts, error) {
	var c Counts
	defer func() {
		p.in.Add(c.In)
		p.out.Add(c.Out)
		p.rejected.Add(c.Rejected)
	}()
	src, err := p.source(delivery, hint)
	if err != nil {
		p.reject(&c, emit, nil, delivery, err)
		return c, nil
	}
	records, err := split(src, delivery)
	if err != nil {
		p.reject(&c, emit, src, delivery, err)
		return c, nil
	}
	for _, r := range records {
		if err := ctx.Err(); err != nil {
			return c, err
		}
		if r.err != nil {
			p.reject(&c, emit, src, r.data, r.err)
			continue
		}
		p.record(ctx, &c, emit, src, r.data)
	}
	return c, nil
}

// source returns the source named by hint or the first that detects the
// delivery.
func (p *Pipeline) source(delivery []byte, hint schemas.Product) (ingest.Source, error) {
	if hint != "" {
		if s, ok := p.byProduct[hint]; ok {
			return s, nil
		}
		return nil, fmt.Errorf("no source for product %q: %w", hint, ingest.ErrUnknownSource)
	}
	for _, s := range p.sources {
		if s.Detect(delivery) {
			return s, nil
		}
	}
	return nil, ingest.ErrUnknownSource
}

type splitRecord struct {
	data []byte
	err  error
}

// split returns the records of delivery: its own when src does not split
// it, else the records of the container and, for each that is itself a
// container, its records.
func split(src ingest.Source, delivery []byte) ([]splitRecord, error) {
	sp, ok := src.(ingest.Splitter)
	if !ok {
		return []splitRecord{{data: delivery}}, nil
	}
	var outer [][]byte
	container, err := sp.Split(delivery, func(r []byte) error { outer = append(outer, r); return nil })
	if err != nil {
		return nil, fmt.Errorf("split %s delivery: %w", src.Product(), err)
	}
	if !container {
		return []splitRecord{{data: delivery}}, nil
	}
	records := make([]splitRecord, 0, len(outer))
	for _, r := range outer {
		var inner [][]byte
		container, err := sp.Split(r, func(x []byte) error { inner = append(inner, x); return nil })
		switch {
		case err != nil:
			records = append(records, splitRecord{data: r, err: fmt.Errorf("split %s record: %w", src.Product(), err)})
		case container:
			for _, x := range inner {
				records = append(records, splitRecord{data: x})
			}
		default:
			records = append(records, splitRecord{data: r})
		}
	}
	return records, nil
}

// record normalizes one record and emits its event or its rejection.
func (p *Pipeline) record(ctx context.Context, c *Counts, emit func(Result), src ingest.Source, rec []byte) {
	product := src.Product()
	ev := new(schemas.Event)
	if err := src.Normalize(ctx, rec, ev); err != nil {
		p.reject(c, emit, src, rec, fmt.Errorf("normalize %s record: %w", product, err))
		return
	}
	ev.Source.Product = product
	ev.ID = schemas.EventID(product, ev.Source.EventID, rec)
	ev.SchemaVersion = schemas.EventSchemaVersion
	ev.ObservedTime = p.now().UTC()

	policy := p.content.policy(product)
	var found scan.Findings
	raw := rec
	switch r := src.(type) {
	case ContentFieldRedactor:
		red, err := r.RedactContentFields(rec, func(field, text string) string {
			p.scanner.ScanInto(&found, text, field)
			return p.replace(policy, text)
		})
		if err != nil {
			p.reject(c, emit, src, rec, fmt.Errorf("redact content of %s record: %w", product, err))
			return
		}
		if policy != PolicyKeep {
			raw = red
		}
	case ingest.ContentRedactor:
		p.scanner.ScanInto(&found, ev.AI.Prompt.Text, "ai.prompt.text")
		if policy != PolicyKeep {
			red, err := r.RedactContent(rec, func(text string) string { return p.replace(policy, text) })
			if err != nil {
				p.reject(c, emit, src, rec, fmt.Errorf("redact content of %s record: %w", product, err))
				return
			}
			raw = red
		}
	default:
		p.scanner.ScanInto(&found, ev.AI.Prompt.Text, "ai.prompt.text")
	}
	ev.AI.Findings = mergeFindings(ev.AI.Findings, found.List())

	if text := ev.AI.Prompt.Text; text != "" {
		if ev.AI.Prompt.Length == 0 {
			ev.AI.Prompt.Length = int64(utf8.RuneCountInString(text))
		}
		ev.AI.Prompt.Hash = p.hash(text)
		if policy != PolicyKeep {
			ev.AI.Prompt.Text = ""
		}
	}
	if len(raw) > 0 && len(rec) > 0 && &raw[0] == &rec[0] {
		raw = bytes.Clone(raw) // the delivery is the caller's
	}
	ev.Raw = schemas.Raw{Format: schemas.RawJSON, Data: raw}

	if err := ev.Validate(); err != nil {
		p.reject(c, emit, src, rec, fmt.Errorf("invalid %s event: %w", product, err))
		return
	}
	c.In++
	c.Out++
	emit(Result{Event: ev, Product: product})
}

// reject emits rec as rejected for err, with its content rewritten by the
// source's policy when the source can.
func (p *Pipeline) reject(c *Counts, emit func(Result), src ingest.Source, rec []byte, err error) {
	c.In++
	c.Rejected++
	res := Result{Record: rec, Err: err}
	if src != nil {
		res.Product = src.Product()
		policy := p.content.policy(res.Product)
		if r, ok := src.(ingest.ContentRedactor); ok && policy != PolicyKeep {
			if red, rerr := r.RedactContent(rec, func(text string) string { return p.replace(policy, text) }); rerr == nil {
				res.Record = red
			}
		}
	}
	emit(res)
}

// replace returns what policy keeps of a content text in the raw record.
func (p *Pipeline) replace(policy Policy, text string) string {
	switch policy {
	case PolicyKeep:
		return text
	case PolicyHash:
		return "hmac-sha256:" + p.hash(text)
	}
	return ""
}

// hash returns the hex HMAC-SHA256 of text under the prompt-hash key.
func (p *Pipeline) hash(text string) string {
	m := p.macs.Get().(hash.Hash)
	defer p.macs.Put(m)
	m.Reset()
	m.Write([]byte(text))
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0]))
}

// mergeFindings adds the scanner's findings to those the source reported,
// one entry per data type: counts add up, the highest confidence and the
// first locations win.
func mergeFindings(source, scanned []schemas.DataFinding) []schemas.DataFinding {
	if len(source) == 0 {
		return scanned
	}
	out := slices.Clone(source)
	for _, f := range scanned {
		i := slices.IndexFunc(out, func(d schemas.DataFinding) bool { return d.Type == f.Type })
		if i < 0 {
			out = append(out, f)
			continue
		}
		d := &out[i]
		d.Count = int32(min(int64(d.Count)+int64(f.Count), math.MaxInt32))
		d.Confidence = max(d.Confidence, f.Confidence)
		for _, l := range f.Locations {
			if len(d.Locations) < schemas.MaxFindingLocations && !slices.Contains(d.Locations, l) {
				d.Locations = append(d.Locations, l)
			}
		}
	}
	return out
}
