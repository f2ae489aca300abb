package pipeline

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aitdr/aitdr/ingest/scan"
	"github.com/aitdr/aitdr/schemas"
)

// Policy is what ingest keeps of the prompt, request and response text of
// a source's records.
type Policy string

// Content policies.
const (
	// PolicyDrop empties ai.prompt.text and every content field of the raw
	// record; ai.prompt.hash keeps a keyed hash of the prompt so that
	// repeated prompts still match. The default.
	PolicyDrop Policy = "drop"
	// PolicyHash is PolicyDrop, and every content field of the raw record
	// holds "hmac-sha256:<hex>" of its text instead of nothing, so that
	// repeated messages match field by field.
	PolicyHash Policy = "hash"
	// PolicyKeep keeps the text in ai.prompt.text and in the raw record.
	// Only when the operator asks: the text reaches Kafka and ClickHouse.
	//
	// Whatever the policy, ai.prompt.hash holds the keyed hash of the
	// prompt text when there is one, and the findings are kept.
	PolicyKeep Policy = "keep"
)

// Valid reports whether p is a known policy.
func (p Policy) Valid() bool { return p == PolicyDrop || p == PolicyHash || p == PolicyKeep }

// DefaultHashKeyEnv is the environment variable read for the prompt-hash
// key when Content.HashKeyEnv is empty.
const DefaultHashKeyEnv = "AITDR_PROMPT_HASH_KEY"

// MinHashKeyLen is the shortest prompt-hash key accepted, in bytes.
const MinHashKeyLen = 32

// Config configures a Pipeline. The zero Config is valid: policy drop for
// every source, the key from $AITDR_PROMPT_HASH_KEY or a random one, every
// built-in detector.
type Config struct {
	// Content is the content policy and its hash key.
	Content Content `yaml:"content"`
	// Scan configures the sensitive-data scanner: detectors to disable,
	// the customer's classification labels and patterns.
	Scan scan.Config `yaml:"scan"`

	// Now is the clock of observed_time. Default time.Now.
	Now func() time.Time `yaml:"-"`
	// Logger receives the warning about a per-process hash key. Default
	// slog.Default().
	Logger *slog.Logger `yaml:"-"`
	// LookupEnv reads the environment. Default os.LookupEnv.
	LookupEnv func(string) (string, bool) `yaml:"-"`
}

// Content is the content policy: what ingest keeps of prompt and content
// text, per source, and the key of the prompt hashes.
//
// The key is taken, in order, from HashKey, from the file HashKeyFile, or
// from the environment variable HashKeyEnv. With none of them, New fails
// when RequireHashKey is set, and otherwise generates a random key for the
// process and logs a warning: hashes then match only within one process
// and one run, so a deployment with several ingest processes, or that
// compares hashes across restarts, must set a key (and should set
// RequireHashKey). There is no built-in key: a key known to everyone would
// let anyone confirm a guessed prompt from its hash.
type Content struct {
	// Policy is the policy of every source not in Sources. Default drop
	// (also when empty).
	Policy Policy `yaml:"policy"`
	// Sources sets the policy of a source product, such as
	// {ai_gateway: keep}. Default none.
	Sources map[schemas.Product]Policy `yaml:"sources"`
	// HashKeyFile is a file holding the prompt-hash key, at least
	// MinHashKeyLen bytes once surrounding white space is trimmed.
	// Default none.
	HashKeyFile string `yaml:"hash_key_file"`
	// HashKeyEnv names the environment variable holding the key. Default
	// DefaultHashKeyEnv.
	HashKeyEnv string `yaml:"hash_key_env"`
	// RequireHashKey makes a missing key an error rather than a random
	// per-process key. Default false; set it in production.
	RequireHashKey bool `yaml:"require_hash_key"`
	// HashKey is the key itself, for callers that read it from a secret
	// store. It wins over HashKeyFile and HashKeyEnv. Not read from YAML.
	HashKey []byte `yaml:"-"`
}

// Default returns the default configuration.
func Default() Config {
	return Config{Content: Content{Policy: PolicyDrop, HashKeyEnv: DefaultHashKeyEnv}}
}

// Validate reports every problem of c with its field path, joined, or nil.
// It does not read the key file; New does.
func (c Config) Validate() error {
	var errs []error
	if c.Content.Policy != "" && !c.Content.Policy.Valid() {
		errs = append(errs, fmt.Errorf("content.policy: unknown policy %q (drop, hash or keep)", c.Content.Policy))
	}
	products := make([]schemas.Product, 0, len(c.Content.Sources))
	for p := range c.Content.Sources {
		products = append(products, p)
	}
	slices.Sort(products)
	for _, p := range products {
		if !p.Valid() {
			errs = append(errs, fmt.Errorf("content.sources.%s: unknown source product", p))
		}
		if pol := c.Content.Sources[p]; !pol.Valid() {
			errs = append(errs, fmt.Errorf("content.sources.%s: unknown policy %q (drop, hash or keep)", p, pol))
		}
	}
	if k := c.Content.HashKey; len(k) > 0 && len(k) < MinHashKeyLen {
		errs = append(errs, fmt.Errorf("content.hash_key: %d bytes, want at least %d", len(k), MinHashKeyLen))
	}
	if err := c.Scan.Validate(); err != nil {
		for _, e := range unjoin(err) {
			errs = append(errs, fmt.Errorf("scan.%w", e))
		}
	}
	return errors.Join(errs...)
}

// unjoin returns the errors joined in err, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// policy returns the policy of product.
func (c Content) policy(product schemas.Product) Policy {
	if p, ok := c.Sources[product]; ok {
		return p
	}
	if c.Policy == "" {
		return PolicyDrop
	}
	return c.Policy
}
