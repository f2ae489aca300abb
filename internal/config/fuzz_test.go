package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the config decoder: it must return an
// error or a config, never panic.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("kafka: !!binary [1]\n"))
	f.Add([]byte("- !tag [a, b]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := Default()
		if err := decode(data, &cfg); err != nil {
			return
		}
		_ = cfg.Validate()
	})
}
