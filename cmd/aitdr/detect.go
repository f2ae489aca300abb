package main

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/ingest/pipeline"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/rules"
	rulestage "github.com/aitdr/aitdr/rules/stage"
	"github.com/aitdr/aitdr/schemas"
)

func newDetectCommand(g *globalFlags) *cobra.Command {
	var source string
	var rulePaths []string
	var noPack bool
	cmd := &cobra.Command{
		Use:   "detect FILE...",
		Short: "Run normalize, enrich, baseline and rules in process over log files; alerts out as JSON lines",
		Long: `Detect reads audit log files and folders (NDJSON, JSON documents and arrays,
CloudTrail log files, each optionally gzipped), normalizes every record with
the ingest sources, orders the events by time, enriches them (identity
class, inventory, context: enrich.*), computes their baseline features
(baseline.*), and evaluates them against the rule set (the shipped pack and
rules.paths, plus --rules). It writes every alert as one OCSF Detection
Finding JSON line on standard output and a summary on standard error:
records, rejected records with their reasons, events, and alerts by rule
and severity. Nothing leaves the process: it is for rule authors and for
evaluation.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			cfg.Rules.Paths = append(cfg.Rules.Paths, rulePaths...)
			if noPack {
				cfg.Rules.Pack = false
			}
			logger := cfg.Log.Logger(os.Stderr)
			sum, err := detect(cmd, cfg, args, schemas.Product(source), logger)
			sum.print(cmd.ErrOrStderr())
			return err
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "source product of every record (default: detect per record)")
	cmd.Flags().StringSliceVar(&rulePaths, "rules", nil, "rule files or folders to load besides the configured ones")
	cmd.Flags().BoolVar(&noPack, "no-pack", false, "leave out the shipped rule pack")
	return cmd
}

// detectSummary is what detect did.
type detectSummary struct {
	files, records, rejected, events int
	rejections                       map[string]int
	byRule                           map[string]int
	bySeverity                       map[rules.Severity]int
	alerts                           int
	set                              string
}

func (s detectSummary) print(w io.Writer) {
	fmt.Fprintf(w, "detect: %d files, %d records (%d rejected), %d events, %d alerts\n", s.files, s.records, s.rejected, s.events, s.alerts)
	if s.set != "" {
		fmt.Fprintf(w, "  rules: %s\n", s.set)
	}
	for _, reason := range sortedByCount(s.rejections) {
		fmt.Fprintf(w, "  rejected %5d  %s\n", s.rejections[reason], reason)
	}
	for _, sev := range []rules.Severity{rules.SeverityCritical, rules.SeverityHigh, rules.SeverityMedium, rules.SeverityLow, rules.SeverityInfo} {
		if n := s.bySeverity[sev]; n > 0 {
			fmt.Fprintf(w, "  %-8s %5d\n", sev, n)
		}
	}
	for _, rule := range sortedByCount(s.byRule) {
		fmt.Fprintf(w, "  %5d  %s\n", s.byRule[rule], rule)
	}
}

func sortedByCount(m map[string]int) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b))
	})
	return keys
}

// detect runs the in-process chain over the files at paths.
func detect(cmd *cobra.Command, cfg config.Config, paths []string, hint schemas.Product, logger *slog.Logger) (detectSummary, error) {
	ctx := cmd.Context()
	sum := detectSummary{rejections: map[string]int{}, byRule: map[string]int{}, bySeverity: map[rules.Severity]int{}}
	set, err := rulesLoader(cfg.Rules).Load()
	if err != nil {
		rulestage.LogProblems(logger, err)
		if set.Enabled() == 0 {
			return sum, fmt.Errorf("detect: no rule loaded: %w", err)
		}
	}
	sum.set = set.String()
	p, err := newIngestPipeline(cfg, logger)
	if err != nil {
		return sum, err
	}
	files, err := detectFiles(paths)
	if err != nil {
		return sum, err
	}
	sum.files = len(files)
	var events []*schemas.Event
	for _, f := range files {
		deliveries, err := readDeliveries(f)
		if err != nil {
			return sum, fmt.Errorf("detect: %s: %w", f, err)
		}
		for _, d := range deliveries {
			_, err := p.Process(ctx, d, hint, func(r pipeline.Result) {
				sum.records++
				if r.Event == nil {
					sum.rejected++
					sum.rejections[firstLine(r.Err.Error())]++
					return
				}
				events = append(events, r.Event)
			})
			if err != nil {
				return sum, err
			}
		}
	}
	// Enrichment and baselines fold events in time order, as the topics
	// deliver them per identity.
	slices.SortStableFunc(events, func(a, b *schemas.Event) int { return a.Time.Compare(b.Time) })
	sum.events = len(events)

	lookups, err := enrich.NewReloader(cfg.Enrich, logger)
	if err != nil {
		return sum, fmt.Errorf("detect: enrich: %w", err)
	}
	enricher := enrich.NewEnricher(cfg.Enrich, lookups.Current)
	baselines, err := baseline.NewPartition(cfg.Baseline, 0)
	if err != nil {
		return sum, fmt.Errorf("detect: baseline: %w", err)
	}
	engine := rules.NewEngine(set, rules.WithLogger(logger), rules.WithLimits(cfg.Rules.Limits()))
	out := bufio.NewWriter(cmd.OutOrStdout())
	defer out.Flush()
	var alerts []*rules.Alert
	for i, ev := range events {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		offset := int64(i)
		enricher.Enrich(ev, 0, offset)
		baselines.Observe(offset, ev)
		alerts = engine.Process(ev, rules.Position{Offset: offset}, alerts[:0])
		for _, a := range alerts {
			b, err := a.JSON()
			if err != nil {
				return sum, err
			}
			out.Write(b)
			out.WriteByte('\n')
			sum.alerts++
			sum.byRule[a.Rule.ID]++
			sum.bySeverity[a.Severity]++
		}
	}
	if err := out.Flush(); err != nil {
		return sum, fmt.Errorf("detect: write alerts: %w", err)
	}
	return sum, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// detectFiles returns the files at paths: a file as given, a folder's
// *.json, *.jsonl, *.ndjson and *.log files (optionally .gz), recursively,
// skipping hidden names.
func detectFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("detect: %w", err)
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
			name := strings.TrimSuffix(strings.ToLower(d.Name()), ".gz")
			if !d.IsDir() && slices.Contains([]string{".json", ".jsonl", ".ndjson", ".log"}, filepath.Ext(name)) {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("detect: %w", err)
		}
	}
	return out, nil
}

// maxDetectFile bounds the size of one file detect reads.
const maxDetectFile = 1 << 30

// readDeliveries returns the deliveries of a file: the whole content when
// it is one JSON document (an array, a CloudTrail log file, one record),
// else each non-empty line (NDJSON).
func readDeliveries(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	data, err := io.ReadAll(io.LimitReader(r, maxDetectFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxDetectFile {
		return nil, fmt.Errorf("over %d bytes; split it", maxDetectFile)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if trimmed := bytes.TrimSpace(data); json.Valid(trimmed) {
		return [][]byte{trimmed}, nil
	}
	var out [][]byte
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if line = bytes.TrimSpace(line); len(line) > 0 {
			out = append(out, line)
		}
	}
	return out, nil
}
