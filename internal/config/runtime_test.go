package config

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestParseMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{"auto", 0, false}, {"none", 0, false},
		{"1536MiB", 1536 << 20, false}, {"2GiB", 2 << 30, false}, {"1.5GiB", 3 << 29, false},
		{"4096", 4096, false}, {"512KiB", 512 << 10, false}, {"1TiB", 1 << 40, false}, {"100B", 100, false},
		{"", 0, true}, {"2GB", 0, true}, {"-1GiB", 0, true}, {"0", 0, true}, {"lots", 0, true}, {"1e30TiB", 0, true},
	} {
		got, err := parseMemoryLimit(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("parseMemoryLimit(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestRuntimeValidate(t *testing.T) {
	for _, tc := range []struct {
		r    Runtime
		want string // in the error; empty for valid
	}{
		{Runtime{GCPercent: 200, MemoryLimit: "auto"}, ""},
		{Runtime{GCPercent: -1, MemoryLimit: "2GiB"}, ""},
		{Runtime{GCPercent: 5, MemoryLimit: "auto"}, "runtime.gc_percent: 5 must be from 10 to 10000"},
		{Runtime{GCPercent: -1, MemoryLimit: "auto"}, "runtime.gc_percent: -1 needs a runtime.memory_limit size"},
		{Runtime{GCPercent: 100, MemoryLimit: "2 gigs"}, `runtime.memory_limit: "2 gigs" is not auto, none or a size`},
	} {
		cfg := Default()
		cfg.Runtime = tc.r
		err := cfg.Validate()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("runtime %+v: Validate() = %v, want %q", tc.r, err, tc.want)
		}
	}
}

func TestCgroupMemoryLimit(t *testing.T) {
	defer func(old string) { cgroupRoot = old }(cgroupRoot)
	for _, tc := range []struct {
		file, content string
		want          int64
	}{
		{"memory.max", "max\n", 0},
		{"memory.max", "1073741824\n", 1 << 30},
		{filepath.Join("memory", "memory.limit_in_bytes"), "536870912\n", 512 << 20},
		{filepath.Join("memory", "memory.limit_in_bytes"), "9223372036854771712\n", 0},
		{"unrelated", "1", 0},
	} {
		cgroupRoot = t.TempDir()
		path := filepath.Join(cgroupRoot, tc.file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := cgroupMemoryLimit(); got != tc.want {
			t.Errorf("%s = %q: limit %d, want %d", tc.file, tc.content, got, tc.want)
		}
	}
}

// Apply sets the collector and the limit, leaves to the environment what
// it sets, and takes three quarters of a container's limit for auto.
func TestApply(t *testing.T) {
	oldGC := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer func(root string) {
		debug.SetGCPercent(oldGC)
		debug.SetMemoryLimit(oldLimit)
		cgroupRoot = root
	}(cgroupRoot)
	gcPercent := func() int { v := debug.SetGCPercent(-1); debug.SetGCPercent(v); return v }
	memoryLimit := func() int64 { return debug.SetMemoryLimit(-1) }
	noEnv := func(string) (string, bool) { return "", false }

	cgroupRoot = t.TempDir()
	if err := os.WriteFile(filepath.Join(cgroupRoot, "memory.max"), []byte("4294967296\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	note := Runtime{GCPercent: 300, MemoryLimit: "auto"}.Apply(noEnv)
	if gcPercent() != 300 || memoryLimit() != 3<<30 || note != "gc percent 300, memory limit 3072 MiB" {
		t.Errorf("auto in a 4 GiB container: gc %d, limit %d, note %q", gcPercent(), memoryLimit(), note)
	}
	note = Runtime{GCPercent: 150, MemoryLimit: "1GiB"}.Apply(noEnv)
	if gcPercent() != 150 || memoryLimit() != 1<<30 {
		t.Errorf("explicit: gc %d, limit %d, note %q", gcPercent(), memoryLimit(), note)
	}
	env := func(k string) (string, bool) { return map[string]string{"GOGC": "50", "GOMEMLIMIT": "2GiB"}[k], true }
	note = Runtime{GCPercent: 400, MemoryLimit: "8GiB"}.Apply(env)
	if gcPercent() != 150 || memoryLimit() != 1<<30 || note != "gc percent from GOGC=50, memory limit from GOMEMLIMIT=2GiB" {
		t.Errorf("environment set: gc %d, limit %d, note %q; want both left to the environment", gcPercent(), memoryLimit(), note)
	}
}
