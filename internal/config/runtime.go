package config

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// Runtime tunes the Go runtime of the process: how far the heap grows
// between garbage collections, and the soft limit it keeps the process's Go
// memory under.
type Runtime struct {
	// GCPercent is the heap growth between collections, as GOGC: 100 lets
	// the heap double. Default 200: the pipeline allocates per record and
	// keeps little, and on the end-to-end benchmark 200 took 14% less CPU
	// per event than Go's 100 for a third more heap (docs/benchmarks.md).
	// -1 turns collection off until MemoryLimit, which must then be set.
	// The GOGC environment variable, when set, wins.
	GCPercent int `yaml:"gc_percent"`
	// MemoryLimit is the soft limit of the Go runtime's memory, as
	// GOMEMLIMIT: bytes, with an optional KiB, MiB, GiB or TiB suffix.
	// "auto" (the default) is three quarters of the container's memory
	// limit (cgroup v2 or v1) when it has one, leaving a quarter to memory
	// outside Go (the embedded ClickHouse engine, stacks), and no limit
	// otherwise; "none" sets no limit. The collector runs more often near
	// the limit instead of letting the heap grow past it. The GOMEMLIMIT
	// environment variable, when set, wins.
	MemoryLimit string `yaml:"memory_limit"`
}

// DefaultGCPercent is Runtime.GCPercent's default.
const DefaultGCPercent = 200

// cgroupRoot is where the process's cgroup file system is mounted.
var cgroupRoot = "/sys/fs/cgroup"

func (r Runtime) validate(bad func(field, format string, args ...any)) {
	if r.GCPercent != -1 && (r.GCPercent < 10 || r.GCPercent > 10000) {
		bad("runtime.gc_percent", "%d must be from 10 to 10000, or -1 (collect only at runtime.memory_limit)", r.GCPercent)
	}
	limit, err := parseMemoryLimit(r.MemoryLimit)
	if err != nil {
		bad("runtime.memory_limit", "%v", err)
	}
	if r.GCPercent == -1 && err == nil && limit == 0 {
		bad("runtime.gc_percent", "-1 needs a runtime.memory_limit size")
	}
}

// parseMemoryLimit returns the bytes of a memory_limit value: 0 for "none"
// and for "auto" (resolved by Apply).
func parseMemoryLimit(s string) (int64, error) {
	switch s {
	case "auto", "none":
		return 0, nil
	}
	units := []struct {
		suffix string
		scale  float64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	num, scale := s, 1.0
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			num, scale = strings.TrimSuffix(s, u.suffix), u.scale
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v <= 0 || math.IsInf(v*scale, 0) || v*scale >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is not auto, none or a size such as 1536MiB or 2GiB", s)
	}
	return int64(v * scale), nil
}

// cgroupMemoryLimit returns the memory limit of the process's cgroup (v2,
// else v1), or 0 when it has none or none can be read.
func cgroupMemoryLimit() int64 {
	for _, f := range []string{"memory.max", filepath.Join("memory", "memory.limit_in_bytes")} {
		b, err := os.ReadFile(filepath.Join(cgroupRoot, f))
		if err != nil {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		// "max" (v2) and a page-rounded MaxInt64 (v1) mean no limit.
		if err != nil || v <= 0 || v >= math.MaxInt64/2 {
			return 0
		}
		return v
	}
	return 0
}

// Apply sets the garbage collector's percent and the soft memory limit of
// this process, each unless its environment variable (GOGC, GOMEMLIMIT)
// is set, and describes what it set, for the log. The config must be
// valid.
func (r Runtime) Apply(lookupEnv func(string) (string, bool)) string {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	var parts []string
	if v, ok := lookupEnv("GOGC"); ok {
		parts = append(parts, "gc percent from GOGC="+v)
	} else {
		debug.SetGCPercent(r.GCPercent)
		parts = append(parts, fmt.Sprintf("gc percent %d", r.GCPercent))
	}
	if v, ok := lookupEnv("GOMEMLIMIT"); ok {
		return strings.Join(append(parts, "memory limit from GOMEMLIMIT="+v), ", ")
	}
	limit, _ := parseMemoryLimit(r.MemoryLimit)
	if r.MemoryLimit == "auto" {
		if c := cgroupMemoryLimit(); c > 0 {
			limit = c / 4 * 3
		}
	}
	if limit > 0 {
		debug.SetMemoryLimit(limit)
		return strings.Join(append(parts, fmt.Sprintf("memory limit %d MiB", limit>>20)), ", ")
	}
	return strings.Join(append(parts, "no memory limit"), ", ")
}
