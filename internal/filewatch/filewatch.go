// Package filewatch tells a stage when the files it loaded at start (rules,
// catalogs, directory exports, playbooks) changed, so it can reload them.
//
// It polls rather than subscribing to file-system notifications: polling
// sees editors that replace files by rename, Kubernetes ConfigMaps that swap
// a symlink, and network file systems alike, and a few stat calls a second
// cost nothing next to a stage's work. A change is reported once the files
// have stayed the same for one more poll, so a file caught half-written is
// not loaded.
package filewatch

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"time"
)

// DefaultInterval is the poll interval when none is given.
const DefaultInterval = 2 * time.Second

// Watcher polls a set of files and directories (walked recursively).
type Watcher struct {
	paths    []string
	interval time.Duration
	last     map[string]fileState
}

// fileState is what a poll compares. The content hash catches a rewrite
// within the file system's mtime resolution that keeps the size.
type fileState struct {
	size    int64
	modTime time.Time
	sum     [sha256.Size]byte
}

// New returns a Watcher of paths, each a file or a directory, polled every
// interval (DefaultInterval when zero). Its baseline is the files as they
// are now, so a stage creates it right after loading them.
func New(paths []string, interval time.Duration) *Watcher {
	if interval <= 0 {
		interval = DefaultInterval
	}
	w := &Watcher{paths: append([]string(nil), paths...), interval: interval}
	w.last = w.scan()
	return w
}

// Run polls until ctx is done and calls changed, from Run's goroutine, each
// time the files differ from the last time it was called (or from New) and
// have been stable for one poll. It returns nil when ctx is done.
func (w *Watcher) Run(ctx context.Context, changed func(ctx context.Context)) error {
	ticker := time.NewTicker(w.interval)
	defer ticker.Stop()
	var pending map[string]fileState
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		now := w.scan()
		switch {
		case maps.EqualFunc(now, w.last, fileState.equal):
			pending = nil
		case pending != nil && maps.EqualFunc(now, pending, fileState.equal):
			w.last, pending = now, nil
			changed(ctx)
		default:
			pending = now
		}
	}
}

func (s fileState) equal(o fileState) bool {
	return s.size == o.size && s.modTime.Equal(o.modTime) && s.sum == o.sum
}

// scan returns the state of every regular file under the paths. A missing
// path is simply absent: its appearance or disappearance is a change.
func (w *Watcher) scan() map[string]fileState {
	states := make(map[string]fileState)
	for _, root := range w.paths {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return nil // unreadable entries are skipped; the loader reports them
			}
			if d.IsDir() {
				return nil
			}
			info, err := os.Stat(path) // follows symlinks, as loaders do
			if err != nil || !info.Mode().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			states[path] = fileState{size: info.Size(), modTime: info.ModTime(), sum: sha256.Sum256(data)}
			return nil
		})
	}
	return states
}
