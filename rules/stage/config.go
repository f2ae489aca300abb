package stage

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aitdr/aitdr/rules"
)

// Defaults of Config.
const (
	// DefaultReloadInterval is how often rule paths are polled.
	DefaultReloadInterval = 2 * time.Second
	// DefaultPublishTimeout bounds the retries of a NATS publish.
	DefaultPublishTimeout = time.Minute
)

// Config is the rules stage's section of the aitdr configuration (rules:).
type Config struct {
	// Pack loads the rule pack shipped in the binary (rules/pack). Default
	// true.
	Pack bool `yaml:"pack"`
	// Paths are the deployment's rule files and directories, loaded beside
	// the pack and watched for changes (hot reload). Default none.
	Paths []string `yaml:"paths"`
	// Disabled are the ids of rules to turn off, pack rules included.
	Disabled []string `yaml:"disabled"`
	// ReloadInterval is how often Paths are polled for changes; a change is
	// loaded once the files stayed the same for one more poll. Default 2s.
	ReloadInterval time.Duration `yaml:"reload_interval"`
	// MaxKeysPerRule bounds the state keys (groups) a stateful rule keeps
	// per kind of state; the least recently used key is evicted past it
	// and counted. Default 100000.
	MaxKeysPerRule int `yaml:"max_keys_per_rule"`
	// MaxEventsPerKey bounds the events a threshold window or sequence step
	// keeps per key, and the terms a new_terms group keeps. Default 1000.
	MaxEventsPerKey int `yaml:"max_events_per_key"`
	// PublishTimeout is how long the stage retries publishing a batch's
	// alerts to NATS before it stops without committing the batch (to be
	// redone on restart, deduplicated by alert id). Default 1m.
	PublishTimeout time.Duration `yaml:"publish_timeout"`
}

// DefaultConfig returns the configuration with every default set.
func DefaultConfig() Config {
	return Config{
		Pack:            true,
		ReloadInterval:  DefaultReloadInterval,
		MaxKeysPerRule:  rules.DefaultLimits.MaxKeysPerRule,
		MaxEventsPerKey: rules.DefaultLimits.MaxEventsPerKey,
		PublishTimeout:  DefaultPublishTimeout,
	}
}

// Limits returns the engine's state bounds.
func (c Config) Limits() rules.Limits {
	return rules.Limits{MaxKeysPerRule: c.MaxKeysPerRule, MaxEventsPerKey: c.MaxEventsPerKey}
}

var ruleIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Validate returns every problem of c joined, each "field: problem".
func (c Config) Validate() error {
	var errs []error
	for i, p := range c.Paths {
		if strings.TrimSpace(p) == "" {
			errs = append(errs, fmt.Errorf("paths[%d]: empty path", i))
		}
	}
	for i, id := range c.Disabled {
		if !ruleIDPattern.MatchString(id) {
			errs = append(errs, fmt.Errorf("disabled[%d]: %q is not a rule id", i, id))
		}
	}
	if c.ReloadInterval < 0 {
		errs = append(errs, fmt.Errorf("reload_interval: %s is negative", c.ReloadInterval))
	} else if c.ReloadInterval > 0 && c.ReloadInterval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("reload_interval: %s is under 100ms", c.ReloadInterval))
	}
	if c.MaxKeysPerRule < 0 {
		errs = append(errs, fmt.Errorf("max_keys_per_rule: %d is negative", c.MaxKeysPerRule))
	}
	if c.MaxEventsPerKey < 0 {
		errs = append(errs, fmt.Errorf("max_events_per_key: %d is negative", c.MaxEventsPerKey))
	}
	if c.PublishTimeout < 0 {
		errs = append(errs, fmt.Errorf("publish_timeout: %s is negative", c.PublishTimeout))
	}
	if !c.Pack && len(c.Paths) == 0 {
		errs = append(errs, errors.New("paths: no rules to run: the pack is off (pack: false) and no paths are set"))
	}
	return errors.Join(errs...)
}
