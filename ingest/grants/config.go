package grants

import (
	"errors"
	"fmt"
	"time"
)

// DefaultInterval is how often the folder import looks for new or changed
// snapshots.
const DefaultInterval = 15 * time.Minute

// Config is the scheduled folder import of permission snapshots (the
// grants: section of the aitdr configuration). The account names of the
// identity ids (Okta org, Entra tenant, Google Cloud organization,
// Kubernetes cluster) are the ingest sources' settings, so that grants and
// events name identities alike; GitHubAccount is the one the token lists
// need besides.
type Config struct {
	// Folder is where permission snapshots are dropped; every file in it
	// (walked recursively) is imported when it appears or changes. Empty
	// (the default) imports nothing on a schedule.
	Folder string `yaml:"folder"`
	// Interval is how often the folder is looked at. Default 15m.
	Interval time.Duration `yaml:"interval"`
	// GitHubAccount is the GitHub enterprise or organization slug of the
	// identity ids of token grants (github:<account>:<login>), as the audit
	// log names it.
	GitHubAccount string `yaml:"github_account"`
}

// DefaultConfig returns the defaults: no folder, a 15-minute interval.
func DefaultConfig() Config { return Config{Interval: DefaultInterval} }

// Validate returns every problem of the configuration, each naming its
// field, or nil.
func (c Config) Validate() error {
	var errs []error
	if c.Interval < time.Second {
		errs = append(errs, fmt.Errorf("interval: %s is shorter than a second", c.Interval))
	}
	return errors.Join(errs...)
}
