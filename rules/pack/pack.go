// Package pack is the rule pack aitdr ships: the YAML rule files of this
// folder, embedded in the binary. The rules stage loads it by default
// (rules.pack in the configuration), beside the deployment's own files.
package pack

import (
	"embed"
	"io/fs"
)

//go:embed *.yaml
var files embed.FS

// FS returns the pack's rule files.
func FS() fs.FS { return files }

// Name is how problems and alerts name the pack's files: Name/<file>.
const Name = "rules/pack"
