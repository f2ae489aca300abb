package grants

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aitdr/aitdr/internal/filewatch"
)

// Folder imports the snapshots dropped in a folder: all of them when it
// starts, then each new or changed file once it has stopped changing. A
// file that fails to import is logged with its cause; what an earlier
// version of it stored keeps serving. Run it once.
type Folder struct {
	importer *Importer
	dir      string
	interval time.Duration
	logger   *slog.Logger
	seen     map[string][sha256.Size]byte
}

// NewFolder returns a Folder importing dir every interval
// (DefaultInterval when zero) through im.
func NewFolder(im *Importer, dir string, interval time.Duration, logger *slog.Logger) *Folder {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Folder{importer: im, dir: dir, interval: interval, logger: logger, seen: map[string][sha256.Size]byte{}}
}

// Run imports the folder until ctx is done. It returns an error only when
// the folder cannot be read at start; later failures are logged and tried
// again on the next change.
func (f *Folder) Run(ctx context.Context) error {
	info, err := os.Stat(f.dir)
	if err != nil {
		return fmt.Errorf("grants folder: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("grants folder %s is not a directory", f.dir)
	}
	w := filewatch.New([]string{f.dir}, f.interval)
	f.Scan(ctx)
	return w.Run(ctx, func(ctx context.Context) { f.Scan(ctx) })
}

// Scan imports the files that are new or changed since the last scan and
// returns what it did.
func (f *Folder) Scan(ctx context.Context) []FileResult {
	files, err := Files([]string{f.dir})
	if err != nil {
		f.logger.Error("grants: scan folder", "dir", f.dir, "error", err.Error())
		return nil
	}
	var changed []string
	sums := map[string][sha256.Size]byte{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.logger.Error("grants: read", "file", file, "error", err.Error())
			continue
		}
		sum := sha256.Sum256(b)
		sums[file] = sum
		if f.seen[file] != sum {
			changed = append(changed, file)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	// Entra assignments are resolved through the service principals of
	// the whole folder.
	results, err := f.importer.importFiles(ctx, changed, files, time.Time{})
	for _, r := range results {
		Log(f.logger, r)
	}
	if err != nil {
		f.logger.Error("grants: store", "dir", f.dir, "error", err.Error())
		return results
	}
	// A file that did not parse is tried again when it changes.
	for _, r := range results {
		f.seen[r.File] = sums[r.File]
	}
	return results
}
