package enrich

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/aitdr/aitdr/enrich/accounts"
	"github.com/aitdr/aitdr/enrich/catalog"
	"github.com/aitdr/aitdr/enrich/contextmap"
	"github.com/aitdr/aitdr/enrich/directory"
	"github.com/aitdr/aitdr/internal/filewatch"
)

// Lookups are the in-memory indexes the stage enriches with: the AI
// service catalog, the people directory, the environment and
// classification maps, and the account resolver. A Lookups is immutable;
// a reload builds a new one with a new Version.
type Lookups struct {
	Catalog   *catalog.Catalog
	Directory *directory.Directory
	Context   *contextmap.Map
	Accounts  *accounts.Resolver
	// Version increases with every reload that changed something.
	Version uint64
}

// LoadLookups loads every index cfg names. Every problem of every file is
// returned, each with its file:line and cause.
func LoadLookups(cfg Config) (*Lookups, error) {
	var errs []error
	l := &Lookups{Version: 1}
	var err error
	if l.Catalog, err = catalog.Load(cfg.Catalog); err != nil {
		errs = append(errs, fmt.Errorf("catalog: %w", err))
	}
	if l.Directory, err = directory.Load(cfg.DirectoryFiles); err != nil {
		errs = append(errs, fmt.Errorf("directory: %w", err))
	}
	if l.Context, err = contextmap.Load(cfg.EnvironmentFiles, cfg.ClassificationFiles); err != nil {
		errs = append(errs, fmt.Errorf("context: %w", err))
	}
	if l.Accounts, err = accounts.New(cfg.Accounts); err != nil {
		errs = append(errs, fmt.Errorf("accounts: %w", err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return l, nil
}

// Reloader keeps the current Lookups and reloads them when their files
// change. It is safe for concurrent use: Current may be called from any
// goroutine while Run reloads.
type Reloader struct {
	cfg     Config
	log     *slog.Logger
	watch   *filewatch.Watcher
	current atomic.Pointer[Lookups]
	reloads atomic.Int64
	failed  atomic.Int64
}

// NewReloader loads the lookups of cfg; it fails when any file is bad, so
// that a stage does not start on a broken configuration.
func NewReloader(cfg Config, logger *slog.Logger) (*Reloader, error) {
	l, err := LoadLookups(cfg)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	r := &Reloader{cfg: cfg, log: logger}
	r.current.Store(l)
	if files := cfg.Files(); len(files) > 0 {
		// The watcher's baseline is the files as just loaded.
		r.watch = filewatch.New(files, cfg.ReloadInterval)
	}
	return r, nil
}

// Current returns the lookups in force.
func (r *Reloader) Current() *Lookups { return r.current.Load() }

// Reload reads the files again. Each index (catalog, directory, context
// maps) is replaced only when all its files load; a bad file is logged
// with its file:line and cause and the previous index keeps serving. It
// returns the problems, joined, or nil.
func (r *Reloader) Reload() error {
	old := r.current.Load()
	next := *old
	var errs []error
	if c, err := catalog.Load(r.cfg.Catalog); err != nil {
		errs = append(errs, fmt.Errorf("catalog: %w", err))
	} else {
		next.Catalog = c
	}
	if d, err := directory.Load(r.cfg.DirectoryFiles); err != nil {
		errs = append(errs, fmt.Errorf("directory: %w", err))
	} else {
		next.Directory = d
	}
	if m, err := contextmap.Load(r.cfg.EnvironmentFiles, r.cfg.ClassificationFiles); err != nil {
		errs = append(errs, fmt.Errorf("context: %w", err))
	} else {
		next.Context = m
	}
	next.Version = old.Version + 1
	r.current.Store(&next)
	r.reloads.Add(1)
	err := errors.Join(errs...)
	if err != nil {
		r.failed.Add(1)
		r.log.Error("enrich: reload kept the previous version of the files that failed to load", "err", err)
	} else {
		people := next.Directory.Len()
		envs, classes := next.Context.Entries()
		r.log.Info("enrich: files reloaded", "catalog", next.Catalog.Version(), "services", len(next.Catalog.Services()),
			"people", people, "environment_entries", envs, "classification_entries", classes)
	}
	return err
}

// Run polls the files every cfg.ReloadInterval and reloads them after a
// change, until ctx is done. Call it once.
func (r *Reloader) Run(ctx context.Context) error {
	if r.watch == nil {
		<-ctx.Done()
		return nil
	}
	return r.watch.Run(ctx, func(context.Context) { _ = r.Reload() })
}
