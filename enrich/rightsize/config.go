package rightsize

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of Config.
const (
	// DefaultWindow is how far back usage is read.
	DefaultWindow = 90 * 24 * time.Hour
	// DefaultMinDays is the observation a recommendation needs to be
	// trusted, in days.
	DefaultMinDays = 30
	// DefaultMinEvents is the successful events a recommendation needs to
	// be trusted.
	DefaultMinEvents = 100
)

// Config is the rightsizing analysis (the rightsize: section of the aitdr
// configuration).
type Config struct {
	// Window is how far back from the report time usage is read. Default
	// 90 days (2160h).
	Window time.Duration `yaml:"window"`
	// MinDays is how many days an identity must have been observed in the
	// window (from the later of the window start and its first event) for
	// its recommendation to be trusted. Default 30.
	MinDays int `yaml:"min_days"`
	// MinEvents is how many successful events an identity must have in
	// the window for its recommendation to be trusted. Default 100.
	MinEvents int64 `yaml:"min_events"`
}

// DefaultConfig returns the defaults: a 90-day window, 30 days and 100
// events to trust a recommendation.
func DefaultConfig() Config {
	return Config{Window: DefaultWindow, MinDays: DefaultMinDays, MinEvents: DefaultMinEvents}
}

// Validate returns every problem of the configuration, each naming its
// field, or nil.
func (c Config) Validate() error {
	var errs []error
	if c.Window < time.Hour {
		errs = append(errs, fmt.Errorf("window: %s is shorter than an hour", c.Window))
	}
	if c.MinDays < 0 {
		errs = append(errs, fmt.Errorf("min_days: %d is negative", c.MinDays))
	}
	if c.Window >= time.Hour && time.Duration(c.MinDays)*24*time.Hour > c.Window {
		errs = append(errs, fmt.Errorf("min_days: %d days is longer than the window (%s): no recommendation could be trusted", c.MinDays, c.Window))
	}
	if c.MinEvents < 0 {
		errs = append(errs, fmt.Errorf("min_events: %d is negative", c.MinEvents))
	}
	return errors.Join(errs...)
}
