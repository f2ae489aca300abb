// Command schemagen writes the JSON Schema files of the aitdr contract from
// the Go types (go generate in the schemas folder runs it).
//
// Usage:
//
//	schemagen -dir <schemas source folder> -out <output folder>
package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/aitdr/aitdr/schemas/internal/schemagen"
)

func main() {
	dir := flag.String("dir", ".", "source folder of the schemas package")
	out := flag.String("out", "jsonschema", "folder to write the schema files to")
	flag.Parse()
	if err := run(*dir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	files, err := schemagen.Files(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := os.WriteFile(filepath.Join(out, name), files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}
