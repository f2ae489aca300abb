package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/rules/sigma"
)

func newRulesImportSigmaCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "import-sigma FILE|DIR...",
		Short: "Convert Sigma rules for cloud and identity log sources into aitdr rules, with a report",
		Long: `Import-sigma converts Sigma rules (files and folders of *.yml and *.yaml, any
number of documents each) for AWS CloudTrail, Azure sign-in and audit logs,
GCP audit, Okta and GitHub audit into aitdr rules: detections with their
modifiers and conditions, field names mapped to the normalized event, and
correlation rules (event_count, value_count, temporal, temporal_ordered)
into threshold and sequence rules. Every converted rule has a generated
test that fires and a near miss, both run through the engine before the
rule is accepted. With --out each Sigma file becomes DIR/<name>.yaml;
without it the rules are written on standard output. The report (one line
per Sigma rule: converted, or skipped and why) goes to standard error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := sigmaFiles(args)
			if err != nil {
				return err
			}
			var docs []*sigma.Rule
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					return fmt.Errorf("import-sigma: %w", err)
				}
				d, err := sigma.Parse(f, data)
				if err != nil {
					return fmt.Errorf("import-sigma: %w", err)
				}
				docs = append(docs, d...)
			}
			res := sigma.Convert(docs)
			names := make([]string, 0, len(res.Files))
			for name := range res.Files {
				names = append(names, name)
			}
			slices.Sort(names)
			if out != "" {
				if err := os.MkdirAll(out, 0o755); err != nil {
					return fmt.Errorf("import-sigma: %w", err)
				}
			}
			for _, name := range names {
				if out == "" {
					fmt.Fprintf(cmd.OutOrStdout(), "# %s\n%s---\n", name, res.Files[name])
					continue
				}
				base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)) + ".yaml"
				if err := os.WriteFile(filepath.Join(out, base), res.Files[name], 0o644); err != nil {
					return fmt.Errorf("import-sigma: %w", err)
				}
			}
			res.Report(cmd.ErrOrStderr())
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "folder to write the converted rule files to (default: standard output)")
	return cmd
}

// sigmaFiles returns the files at paths: a file as given, a folder's
// *.yml and *.yaml files, recursively, skipping hidden names.
func sigmaFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("import-sigma: %w", err)
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && path != p {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			ext := strings.ToLower(filepath.Ext(path))
			if !d.IsDir() && (ext == ".yml" || ext == ".yaml") {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("import-sigma: %w", err)
		}
	}
	return out, nil
}
