// Package aitdrtest builds the aitdr binary for tests of the deployment
// files and asks it whether a command line names a real subcommand, so
// that a Compose service or a Kubernetes container that runs a command the
// binary lacks fails in CI instead of crash-looping in production.
package aitdrtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// BuildTags are the tags the container image builds with
// (deploy/docker/Dockerfile): the embedded ClickHouse engine left out.
const BuildTags = "nochdb"

// Build compiles ./cmd/aitdr of the module holding the working directory
// into dir, as the container image does (CGO off, BuildTags), and returns
// the binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "aitdr")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", BuildTags, "-o", bin, "./cmd/aitdr")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build aitdr: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot finds the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// usageRe finds the command path in the first usage line of cobra's help.
var usageRe = regexp.MustCompile(`(?m)^Usage:\n\s+(aitdr(?: [a-z][a-z0-9-]*)*)(?: |$)`)

// CheckCommand runs bin with args and --help, in an empty environment, and
// returns an error unless args (the words before the first flag) name an
// existing subcommand and its flags parse: cobra prints the help of the
// nearest command it found, so the help's usage line must be that exact
// command.
func CheckCommand(ctx context.Context, bin string, args []string) error {
	if len(args) == 0 {
		return errors.New("no command")
	}
	var words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
	}
	want := strings.Join(append([]string{"aitdr"}, words...), " ")
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(append([]string(nil), args...), "--help")...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + os.TempDir()}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("aitdr %s --help: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	m := usageRe.FindStringSubmatch(out.String())
	if m == nil {
		return fmt.Errorf("aitdr %s --help printed no usage line:\n%s", strings.Join(args, " "), out.String())
	}
	if m[1] != want {
		return fmt.Errorf("%q is not a command: the binary has %q there", want, m[1])
	}
	return nil
}
