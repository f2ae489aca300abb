package simulate

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/schemas"
)

// FileSink writes the records to one JSON-lines file per source product,
// <dir>/<product>.jsonl (aws.cloudtrail.jsonl, okta.jsonl, ...), which
// aitdr ingest file reads. Files are truncated when first written. Close
// it when done; it is not safe for concurrent use.
type FileSink struct {
	dir    string
	files  map[schemas.Product]*bufferedFile
	closed bool
}

type bufferedFile struct {
	f *os.File
	w *bufio.Writer
}

var _ Sink = (*FileSink)(nil)

// NewFileSink returns a sink writing into dir, which it creates.
func NewFileSink(dir string) (*FileSink, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("file sink: %w", err)
	}
	return &FileSink{dir: dir, files: map[schemas.Product]*bufferedFile{}}, nil
}

// Path returns the file the records of product go to.
func (s *FileSink) Path(product schemas.Product) string {
	return filepath.Join(s.dir, string(product)+".jsonl")
}

// Write appends each record as a line to its product's file and flushes
// the files, so that what Write accepted is on disk.
func (s *FileSink) Write(_ context.Context, records []Record) error {
	if s.closed {
		return errors.New("file sink: closed")
	}
	for _, r := range records {
		if !r.Product.Valid() {
			return fmt.Errorf("file sink: record of invalid product %q", r.Product)
		}
		bf, ok := s.files[r.Product]
		if !ok {
			f, err := os.Create(s.Path(r.Product))
			if err != nil {
				return fmt.Errorf("file sink: %w", err)
			}
			bf = &bufferedFile{f: f, w: bufio.NewWriterSize(f, 256<<10)}
			s.files[r.Product] = bf
		}
		bf.w.Write(r.Data)
		if err := bf.w.WriteByte('\n'); err != nil {
			return fmt.Errorf("file sink: write %s: %w", bf.f.Name(), err)
		}
	}
	for _, bf := range s.files {
		if err := bf.w.Flush(); err != nil {
			return fmt.Errorf("file sink: write %s: %w", bf.f.Name(), err)
		}
	}
	return nil
}

// Close flushes and closes the files. It is idempotent.
func (s *FileSink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for _, bf := range s.files {
		if err := bf.w.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("file sink: write %s: %w", bf.f.Name(), err))
		}
		if err := bf.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("file sink: close %s: %w", bf.f.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// HTTPSinkConfig configures an HTTPSink.
type HTTPSinkConfig struct {
	// URL is the base URL of the ingest HTTP input, such as
	// "http://127.0.0.1:8088"; records are posted to
	// <URL>/v1/events/<product>. Required.
	URL string
	// Token is the bearer token. Required unless the input runs without
	// authentication.
	Token string
	// Client makes the requests. Default an http.Client with a 60s
	// timeout.
	Client *http.Client
	// MaxBodyBytes bounds a request body before compression; a batch is
	// split over several requests. Default 4 MiB, under the input's
	// default limit.
	MaxBodyBytes int
	// Gzip compresses the bodies. Default false.
	Gzip bool
	// RetryWait is the wait before sending a request again after a 503
	// without Retry-After, or a connection error. Default 1s.
	RetryWait time.Duration
}

// HTTPSink posts the records to the ingest HTTP input as NDJSON, one
// request per product and body size, and retries requests the input
// answers 503 (its brokers did not acknowledge in time) until ctx ends.
// A record the input rejects is an error: the simulator only makes
// records that normalize. It is not safe for concurrent use.
type HTTPSink struct {
	cfg HTTPSinkConfig
	buf bytes.Buffer
	zip bytes.Buffer
}

var _ Sink = (*HTTPSink)(nil)

// NewHTTPSink returns a sink posting to cfg.URL.
func NewHTTPSink(cfg HTTPSinkConfig) (*HTTPSink, error) {
	if !strings.HasPrefix(cfg.URL, "http://") && !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("http sink: url %q is not an http:// or https:// URL", cfg.URL)
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 4 << 20
	}
	if cfg.RetryWait <= 0 {
		cfg.RetryWait = time.Second
	}
	return &HTTPSink{cfg: cfg}, nil
}

// Write posts the records, grouped by product in their order.
func (s *HTTPSink) Write(ctx context.Context, records []Record) error {
	var products []schemas.Product
	for _, r := range records {
		if !slices.Contains(products, r.Product) {
			products = append(products, r.Product)
		}
	}
	for _, p := range products {
		s.buf.Reset()
		n := 0
		for _, r := range records {
			if r.Product != p {
				continue
			}
			if n > 0 && s.buf.Len()+len(r.Data)+1 > s.cfg.MaxBodyBytes {
				if err := s.post(ctx, p, n); err != nil {
					return err
				}
				s.buf.Reset()
				n = 0
			}
			s.buf.Write(r.Data)
			s.buf.WriteByte('\n')
			n++
		}
		if err := s.post(ctx, p, n); err != nil {
			return err
		}
	}
	return nil
}

// ingestAnswer is the answer of the HTTP input to a POST.
type ingestAnswer struct {
	RequestID string `json:"request_id"`
	Error     string `json:"error"`
	Accepted  int    `json:"accepted"`
	Rejected  int    `json:"rejected"`
	Errors    []struct {
		Index  int    `json:"index"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

// post sends the n records in the buffer until they are accepted.
func (s *HTTPSink) post(ctx context.Context, product schemas.Product, n int) error {
	body := s.buf.Bytes()
	if s.cfg.Gzip {
		s.zip.Reset()
		zw := gzip.NewWriter(&s.zip)
		zw.Write(body)
		if err := zw.Close(); err != nil {
			return fmt.Errorf("http sink: compress: %w", err)
		}
		body = s.zip.Bytes()
	}
	url := s.cfg.URL + "/v1/events/" + string(product)
	for {
		wait, err := s.try(ctx, url, body, n)
		if err == nil {
			return nil
		}
		if wait == 0 {
			return fmt.Errorf("http sink: %s: %w", url, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("http sink: %s: %w (last: %w)", url, ctx.Err(), err)
		case <-t.C:
		}
	}
}

// try sends one request; a non-zero wait means the error is worth a
// retry after it.
func (s *HTTPSink) try(ctx context.Context, url string, body []byte, n int) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if s.cfg.Gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if s.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.cfg.Token)
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		return s.cfg.RetryWait, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return s.cfg.RetryWait, fmt.Errorf("read answer: %w", err)
	}
	var ans ingestAnswer
	_ = json.Unmarshal(raw, &ans) // the status says enough when the body is not an answer
	switch {
	case resp.StatusCode == http.StatusAccepted:
		if ans.Rejected > 0 || ans.Accepted != n {
			reason := ""
			if len(ans.Errors) > 0 {
				reason = ": first: record " + strconv.Itoa(ans.Errors[0].Index) + ": " + ans.Errors[0].Reason
			}
			return 0, fmt.Errorf("request %s: %d of %d records rejected, %d accepted%s", ans.RequestID, ans.Rejected, n, ans.Accepted, reason)
		}
		return 0, nil
	case resp.StatusCode == http.StatusServiceUnavailable:
		wait := s.cfg.RetryWait
		if sec, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && sec > 0 {
			wait = time.Duration(sec) * time.Second
		}
		return wait, fmt.Errorf("503: %s", ans.Error)
	}
	msg := ans.Error
	if msg == "" {
		msg = strings.TrimSpace(string(raw))
	}
	return 0, fmt.Errorf("%s: %s", resp.Status, msg)
}

// KafkaSink produces each record to a raw topic with the aitdr-source
// header naming its product, keyed by the identity id the record carries,
// and returns once the brokers acknowledged them. It does not own the
// client. It is safe for concurrent use.
type KafkaSink struct {
	client *kgo.Client
	topic  string
}

var _ Sink = (*KafkaSink)(nil)

// NewKafkaSink returns a sink producing to topic (aitdr.raw with the
// deployment's prefix) with client.
func NewKafkaSink(client *kgo.Client, topic string) *KafkaSink {
	return &KafkaSink{client: client, topic: topic}
}

// Write produces the records and waits for their acknowledgements.
func (s *KafkaSink) Write(ctx context.Context, records []Record) error {
	recs := make([]*kgo.Record, len(records))
	for i, r := range records {
		recs[i] = &kgo.Record{
			Topic:   s.topic,
			Key:     []byte(r.IdentityID),
			Value:   r.Data,
			Headers: []kgo.RecordHeader{{Key: schemas.HeaderSource, Value: []byte(r.Product)}},
		}
	}
	if err := s.client.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("kafka sink: produce to %s: %w", s.topic, err)
	}
	return nil
}
