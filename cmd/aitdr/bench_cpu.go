package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// cpuProfile is the part of a pprof CPU profile (profile.proto) the bench
// reads: each sample's stack, leaf first, and its CPU time.
type cpuProfile struct {
	samples []cpuSample
}

type cpuSample struct {
	stack []string // function names, leaf first
	cpu   time.Duration
}

// cpuShare is the CPU time of one part of the pipeline.
type cpuShare struct {
	Part    string  `json:"part"`
	Seconds float64 `json:"seconds"`
	Share   float64 `json:"share"`
}

// cpuFunction is one function's own (flat) CPU time within a part.
type cpuFunction struct {
	Function string  `json:"function"`
	Seconds  float64 `json:"seconds"`
	Share    float64 `json:"share"`
}

// cpuParts attribute a stack to a part of the pipeline by the package of
// its frames, the frame nearest the leaf deciding: the stages first (code
// run on a stage's behalf, its allocations included), then the engines
// and clients they call.
var cpuParts = []struct {
	part     string
	prefixes []string
}{
	{"ingest", []string{"github.com/aitdr/aitdr/ingest/"}},
	{"enrich", []string{"github.com/aitdr/aitdr/enrich"}},
	{"baseline", []string{"github.com/aitdr/aitdr/baseline"}},
	{"rules", []string{"github.com/aitdr/aitdr/rules"}},
	{"sink", []string{"github.com/aitdr/aitdr/schemas/clickhouse"}},
	{"responder", []string{"github.com/aitdr/aitdr/responder"}},
}

// cpuEngines attribute the stacks no stage is on, the first part any of
// whose prefixes a frame has winning. The embedded ClickHouse engine's
// own threads show as frames of libchdb.so.
var cpuEngines = []struct {
	part     string
	prefixes []string
}{
	{"clickhouse engine (embedded chDB)", []string{"[libchdb", "github.com/aitdr/aitdr/deploy/clickhouse"}},
	{"kafka broker (in-process kfake)", []string{"github.com/twmb/franz-go/pkg/kfake"}},
	{"kafka client (franz-go, compression)", []string{"github.com/twmb/franz-go/"}},
	{"stage runtime (internal/stream)", []string{"github.com/aitdr/aitdr/internal/stream", "github.com/aitdr/aitdr/internal/changelog"}},
	{"clickhouse client (driver)", []string{"github.com/ClickHouse/"}},
	{"nats", []string{"github.com/nats-io/"}},
	{"telemetry", []string{"go.opentelemetry.io/", "github.com/prometheus/", "github.com/aitdr/aitdr/internal/telemetry"}},
	{"event codec (schemas)", []string{"github.com/aitdr/aitdr/schemas", "github.com/tinylib/msgp"}},
	{"bench (producer, samplers)", []string{"main."}},
	{"go runtime: garbage collection", []string{"runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge", "runtime.gcMark", "runtime.gcDrain"}},
	{"native code outside Go (libc)", []string{"[libc", "[ld-linux"}},
	{"go runtime: scheduler, network poller, syscalls", []string{"runtime.", "internal/runtime/", "syscall.", "internal/poll."}},
}

// partOf names the part of the pipeline a stack ran for.
func partOf(stack []string) string {
	for _, fn := range stack {
		for _, p := range cpuParts {
			for _, prefix := range p.prefixes {
				if strings.HasPrefix(fn, prefix) {
					return p.part
				}
			}
		}
	}
	for _, p := range cpuEngines {
		for _, fn := range stack {
			for _, prefix := range p.prefixes {
				if strings.HasPrefix(fn, prefix) {
					return p.part
				}
			}
		}
	}
	return "other (standard library)"
}

// notProfiled is the part of the process's CPU (getrusage) the Go profile
// did not sample.
const notProfiled = "not sampled by the Go profiler"

// total is the CPU time of every sample.
func (p *cpuProfile) total() time.Duration {
	var t time.Duration
	for _, s := range p.samples {
		t += s.cpu
	}
	return t
}

// shares splits processCPU (seconds) by part: the profiled samples by
// their part, the rest as notProfiled; largest first.
func (p *cpuProfile) shares(processCPU float64) []cpuShare {
	by := map[string]time.Duration{}
	for _, s := range p.samples {
		by[partOf(s.stack)] += s.cpu
	}
	var out []cpuShare
	for part, d := range by {
		out = append(out, cpuShare{Part: part, Seconds: d.Seconds()})
	}
	if rest := processCPU - p.total().Seconds(); rest > 0 {
		out = append(out, cpuShare{Part: notProfiled, Seconds: rest})
	}
	whole := max(processCPU, p.total().Seconds())
	for i := range out {
		if whole > 0 {
			out[i].Share = out[i].Seconds / whole
		}
	}
	slices.SortFunc(out, func(a, b cpuShare) int {
		return cmp.Or(cmp.Compare(b.Seconds, a.Seconds), strings.Compare(a.Part, b.Part))
	})
	return out
}

// hottest returns the stage with the most CPU and its n functions with
// the most flat CPU, their share of that stage's time.
func (p *cpuProfile) hottest(n int) (string, []cpuFunction) {
	by := map[string]time.Duration{}
	for _, s := range p.samples {
		by[partOf(s.stack)] += s.cpu
	}
	var stage string
	for _, c := range cpuParts {
		if by[c.part] > by[stage] {
			stage = c.part
		}
	}
	if stage == "" {
		return "", nil
	}
	flat := map[string]time.Duration{}
	for _, s := range p.samples {
		if len(s.stack) > 0 && partOf(s.stack) == stage {
			flat[s.stack[0]] += s.cpu
		}
	}
	var out []cpuFunction
	for fn, d := range flat {
		out = append(out, cpuFunction{Function: fn, Seconds: d.Seconds(), Share: d.Seconds() / by[stage].Seconds()})
	}
	slices.SortFunc(out, func(a, b cpuFunction) int {
		return cmp.Or(cmp.Compare(b.Seconds, a.Seconds), strings.Compare(a.Function, b.Function))
	})
	return stage, out[:min(n, len(out))]
}

// parseCPUProfile reads a gzipped pprof CPU profile as runtime/pprof
// writes it. It fails on a profile that is not one.
func parseCPUProfile(data []byte) (*cpuProfile, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	type rawSample struct {
		locations []uint64
		values    []int64
	}
	var (
		samples     []rawSample
		locations   = map[uint64][]uint64{} // location → function ids, leaf (innermost inlined) first
		locMapping  = map[uint64]uint64{}   // location → mapping, for native code without functions
		mappings    = map[uint64]int64{}    // mapping → file name string index
		functions   = map[uint64]int64{}    // function → name string index
		strs        []string
		sampleTypes [][2]int64 // type, unit string indexes
	)
	err = eachField(raw, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1: // sample_type
			var t [2]int64
			err := eachField(v, func(n protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
				if n == 1 || n == 2 {
					t[n-1] = int64(x)
				}
				return nil
			})
			sampleTypes = append(sampleTypes, t)
			return err
		case 2: // sample
			var s rawSample
			err := eachField(v, func(n protowire.Number, t protowire.Type, b []byte, x uint64) error {
				switch n {
				case 1:
					return appendVarints(&s.locations, t, b, x)
				case 2:
					var vs []uint64
					if err := appendVarints(&vs, t, b, x); err != nil {
						return err
					}
					for _, u := range vs {
						s.values = append(s.values, int64(u))
					}
				}
				return nil
			})
			samples = append(samples, s)
			return err
		case 3: // mapping
			var id uint64
			var file int64
			err := eachField(v, func(n protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
				switch n {
				case 1:
					id = x
				case 5:
					file = int64(x)
				}
				return nil
			})
			mappings[id] = file
			return err
		case 4: // location
			var id, mapping uint64
			var fns []uint64
			err := eachField(v, func(n protowire.Number, _ protowire.Type, b []byte, x uint64) error {
				switch n {
				case 1:
					id = x
				case 2:
					mapping = x
				case 4: // line
					return eachField(b, func(n protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
						if n == 1 {
							fns = append(fns, x)
						}
						return nil
					})
				}
				return nil
			})
			locations[id] = fns
			locMapping[id] = mapping
			return err
		case 5: // function
			var id uint64
			var name int64
			err := eachField(v, func(n protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
				switch n {
				case 1:
					id = x
				case 2:
					name = int64(x)
				}
				return nil
			})
			functions[id] = name
			return err
		case 6: // string_table
			strs = append(strs, string(v))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	// The CPU time is the value whose type is "cpu" (nanoseconds).
	cpuIndex := -1
	for i, t := range sampleTypes {
		if int(t[0]) < len(strs) && strs[t[0]] == "cpu" {
			cpuIndex = i
		}
	}
	if cpuIndex < 0 {
		return nil, errors.New("cpu profile: no cpu sample type")
	}
	name := func(fn uint64) string {
		if i, ok := functions[fn]; ok && int(i) < len(strs) {
			return strs[i]
		}
		return ""
	}
	p := &cpuProfile{}
	for _, s := range samples {
		if cpuIndex >= len(s.values) {
			continue
		}
		cs := cpuSample{cpu: time.Duration(s.values[cpuIndex])}
		for _, loc := range s.locations {
			named := false
			for _, fn := range locations[loc] {
				if n := name(fn); n != "" {
					cs.stack = append(cs.stack, n)
					named = true
				}
			}
			if !named {
				// Native code without symbols: named after its binary, as
				// pprof shows it ("[libchdb.so]").
				if i, ok := mappings[locMapping[loc]]; ok && int(i) < len(strs) && strs[i] != "" {
					cs.stack = append(cs.stack, "["+filepath.Base(strs[i])+"]")
				}
			}
		}
		p.samples = append(p.samples, cs)
	}
	return p, nil
}

// eachField calls fn with every field of a protobuf message: its number,
// type, the bytes of a length-delimited field, the value of a varint.
func eachField(b []byte, fn func(protowire.Number, protowire.Type, []byte, uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// appendVarints appends a repeated varint field, packed or not.
func appendVarints(out *[]uint64, typ protowire.Type, b []byte, x uint64) error {
	if typ == protowire.VarintType {
		*out = append(*out, x)
		return nil
	}
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		*out = append(*out, v)
		b = b[n:]
	}
	return nil
}
