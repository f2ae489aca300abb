// Package input holds the inputs of the ingest stage that do not read
// Kafka: the HTTP endpoint (HTTP) and files and folders (Files). Both cut
// what they receive into deliveries (an NDJSON line, an element of a JSON
// array, a JSON document such as a CloudTrail log file), hand each to the
// normalization pipeline (ingest/pipeline), and publish the results with a
// Publisher: events to the events topic, and every record that could not
// be normalized to the dead-letter topic with the reason and where it came
// from. Nothing is dropped silently: records in = events out + dead
// letters, checked for every request and every file.
package input

import (
	"bytes"
	"context"
	"strconv"

	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/schemas"
)

// Processor turns one delivery into results, calling emit once per record,
// in order, and returns the counts of the delivery; it returns an error
// only when ctx ends. *pipeline.Pipeline implements it.
type Processor interface {
	Process(ctx context.Context, delivery []byte, hint schemas.Product, emit func(pipeline.Result)) (pipeline.Counts, error)
}

var _ Processor = (*pipeline.Pipeline)(nil)

// ProductLister is implemented by processors that can list the source
// products they normalize. The inputs then refuse a source name that none
// of them has (HTTP 400, a Files config error) instead of dead-lettering
// every record of the request or file.
type ProductLister interface {
	Products() []schemas.Product
}

// deliver runs proc over one delivery and calls publish with each result
// and its 0-based index among the records of the delivery, or -1 when the
// delivery held that one record only (it was not a container).
func deliver(ctx context.Context, proc Processor, delivery []byte, hint schemas.Product, publish func(res pipeline.Result, record int)) (pipeline.Counts, error) {
	// Hold each result back until the next one (or the end) tells whether
	// the delivery held several records.
	var prev pipeline.Result
	n := 0
	c, err := proc.Process(ctx, delivery, hint, func(res pipeline.Result) {
		if n > 0 {
			publish(prev, n-1)
		}
		if res.Record != nil {
			// Record may share memory the pipeline reuses after emit.
			res.Record = bytes.Clone(res.Record)
		}
		prev = res
		n++
	})
	switch {
	case n == 1:
		publish(prev, -1)
	case n > 1:
		publish(prev, n-1)
	}
	return c, err
}

// origin returns the input location of a record: base, plus " record K"
// for the record of index K of a delivery that held several.
func origin(base string, record int) string {
	if record < 0 {
		return base
	}
	return base + " record " + strconv.Itoa(record)
}

// checkHint returns an error when hint is not a valid product name, or
// when proc lists its products and hint is not one of them.
func checkHint(proc Processor, hint schemas.Product) error {
	if hint == "" {
		return nil
	}
	if !hint.Valid() {
		return &hintError{hint: hint, problem: "not a valid source product name"}
	}
	if l, ok := proc.(ProductLister); ok {
		products := l.Products()
		for _, p := range products {
			if p == hint {
				return nil
			}
		}
		return &hintError{hint: hint, problem: "no source of that product is configured", known: products}
	}
	return nil
}

// hintError is a source name that cannot be used.
type hintError struct {
	hint    schemas.Product
	problem string
	known   []schemas.Product
}

func (e *hintError) Error() string {
	s := "source " + strconv.Quote(string(e.hint)) + ": " + e.problem
	if len(e.known) > 0 {
		s += " (known:"
		for i, p := range e.known {
			if i > 0 {
				s += ","
			}
			s += " " + string(p)
		}
		s += ")"
	}
	return s
}
