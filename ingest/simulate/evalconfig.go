package simulate

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// EvalConfig is how "aitdr eval" scores the pipeline on a labelled
// simulation (the eval: section of the aitdr configuration): how much to
// simulate, how alerts are matched to labels, how long to wait for the
// pipeline to drain, and the floors the scorecard must reach.
type EvalConfig struct {
	// Duration is the simulated span, played as fast as the pipeline
	// takes it from the simulate section's time.start (by default the
	// latest Monday 00:00 UTC a span before now). Default 0: the simulate
	// section's time.duration (a week by default).
	Duration time.Duration `yaml:"duration"`
	// Rate caps the records produced per wall second; 0 (the default)
	// produces as fast as the broker takes them. Above what the pipeline
	// sustains, the records queue in Kafka and the times to detect and
	// respond include that queueing.
	Rate float64 `yaml:"rate"`
	// Slack is how long after an instance's last event an alert on its
	// identity still counts as detecting it. Default 30m.
	Slack time.Duration `yaml:"slack"`
	// Drain bounds the wait, after the last record was produced, for every
	// stage to catch up and the stores to settle. Default 5m.
	Drain time.Duration `yaml:"drain"`
	// Floors are what the scorecard must reach for eval to succeed.
	Floors Floors `yaml:"floors"`
}

// DefaultEvalConfig returns the defaults of EvalConfig.
func DefaultEvalConfig() EvalConfig {
	return EvalConfig{Slack: 30 * time.Minute, Drain: 5 * time.Minute, Floors: DefaultFloors()}
}

// Validate returns every problem of c, each naming its field path within
// the eval section, joined; nil when c is usable.
func (c EvalConfig) Validate() error {
	var errs []error
	if c.Duration != 0 && c.Duration < time.Hour {
		errs = append(errs, &FieldError{Path: "duration", Problem: fmt.Sprintf("%s must be 0 (the simulation's own) or at least 1h", c.Duration)})
	}
	if !(c.Rate >= 0) || math.IsInf(c.Rate, 0) {
		errs = append(errs, &FieldError{Path: "rate", Problem: fmt.Sprintf("%v must be 0 (unlimited) or a positive number of records per second", c.Rate)})
	}
	if c.Slack < 0 {
		errs = append(errs, &FieldError{Path: "slack", Problem: fmt.Sprintf("%s must not be negative", c.Slack)})
	}
	if c.Drain < time.Second {
		errs = append(errs, &FieldError{Path: "drain", Problem: fmt.Sprintf("%s must be at least 1s", c.Drain)})
	}
	errs = append(errs, c.Floors.Validate("floors.")...)
	return errors.Join(errs...)
}
