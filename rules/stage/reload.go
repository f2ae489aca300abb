package stage

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aitdr/aitdr/internal/filewatch"
	"github.com/aitdr/aitdr/rules"
)

// Reloader reloads rule files when they change and swaps the new set into
// the engine. A file with problems is logged with every problem at its
// file, line and column, and served in its last good version (or left out
// when it never loaded): the rules that were running keep running, and the
// state of rules whose definition did not change is kept.
type Reloader struct {
	loader *rules.Loader
	engine *rules.Engine
	watch  *filewatch.Watcher
	log    *slog.Logger
}

// NewReloader returns a reloader of loader's paths into engine, polled
// every interval. Create it right after the first load: changes are seen
// from then on.
func NewReloader(loader *rules.Loader, engine *rules.Engine, interval time.Duration, log *slog.Logger) *Reloader {
	if log == nil {
		log = slog.Default()
	}
	r := &Reloader{loader: loader, engine: engine, log: log}
	if paths := loader.Paths(); len(paths) > 0 {
		r.watch = filewatch.New(paths, interval)
	}
	return r
}

// Run polls until ctx is done; it returns nil then.
func (r *Reloader) Run(ctx context.Context) error {
	if r.watch == nil {
		<-ctx.Done()
		return nil
	}
	return r.watch.Run(ctx, func(context.Context) { r.Reload() })
}

// Reload loads the rule files now and swaps the result into the engine.
// It returns the load's problems, which it has logged.
func (r *Reloader) Reload() error {
	set, err := r.loader.Load()
	LogProblems(r.log, err)
	r.engine.Swap(set)
	r.log.Info("rules reloaded", "set", set.String(), "previous_versions", set.Previous())
	return err
}

// LogProblems logs every problem of a load, one record each.
func LogProblems(log *slog.Logger, err error) {
	var problems rules.Problems
	if errors.As(err, &problems) {
		for _, p := range problems {
			log.Error("rule file problem: the file is rejected or served in its last good version", "at", p.Pos.String(), "problem", p.Msg)
		}
		return
	}
	if err != nil {
		log.Error("rule files problem", "err", err)
	}
}
