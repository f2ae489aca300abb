package yamlstrict_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/yamlstrict"
)

type step struct {
	Name  string        `yaml:"name"`
	After time.Duration `yaml:"after"`
}

type settings struct {
	Timeout time.Duration `yaml:"timeout"`
	Nested  struct {
		Every time.Duration `yaml:"every"`
	} `yaml:"nested"`
	Steps []step `yaml:"steps"`
	Skip  string `yaml:"-"`
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      string // in the error; empty for success
	}{
		{"valid", "timeout: 5s\nnested:\n  every: 1m\nsteps:\n  - name: a\n    after: 2h\n", ""},
		{"empty", "  \n", ""},
		{"bad duration", "timeout: 5 seconds\n", `[1:10] timeout: "5 seconds" is not a duration`},
		{"bad nested duration", "nested:\n  every: soon\n", `[2:10] nested.every: "soon" is not a duration`},
		{"bad duration in a list", "steps:\n  - name: a\n    after: 1h\n  - name: b\n    after: later\n", `[5:12] steps[1].after: "later" is not a duration`},
		{"unknown key", "timeout: 5s\nretries: 3\n", "[2:1] unknown field \"retries\""},
		{"wrong type", "steps: 3\n", "[1:8]"},
		{"duplicate key", "timeout: 5s\ntimeout: 6s\n", "[2:1]"},
		{"syntax", "timeout: [5s\n", "[1:10]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s settings
			_, err := yamlstrict.Decode([]byte(tc.doc), &s)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Decode() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decode() = %v, want an error with %q", err, tc.want)
			}
		})
	}
	var s settings
	if _, err := yamlstrict.Decode([]byte("timeout: 5s\nsteps:\n  - name: a\n    after: 2h\n"), &s); err != nil || s.Timeout != 5*time.Second || s.Steps[0].After != 2*time.Hour {
		t.Fatalf("Decode() = %+v, %v; want timeout 5s and a step after 2h", s, err)
	}
}

// FuzzDecode: outside files never crash the decoder, a failure says why,
// and a decoded document comes with its parsed file for locating fields.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("timeout: 5s\nsteps:\n  - name: a\n    after: 2h\n"))
	f.Add([]byte("!!map [a, b]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s settings
		file, err := yamlstrict.Decode(data, &s)
		switch {
		case err != nil && err.Error() == "":
			t.Fatal("an error without a message")
		case err == nil && len(strings.TrimSpace(string(data))) > 0 && file == nil:
			t.Fatal("a decoded document without its parsed file")
		}
	})
}
