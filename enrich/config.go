package enrich

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aitdr/aitdr/enrich/accounts"
	"github.com/aitdr/aitdr/enrich/catalog"
	"github.com/aitdr/aitdr/enrich/workhours"
	"github.com/aitdr/aitdr/schemas"
)

// Defaults of the Config fields.
const (
	// DefaultReloadInterval is how often the stage's files are polled.
	DefaultReloadInterval = 2 * time.Second
	// DefaultSharedCredentialWindow is how close in event time two uses of
	// one credential from unrelated clients count as "at once".
	DefaultSharedCredentialWindow = 5 * time.Minute
	// DefaultCredentialMemory is how long a credential's last use is
	// remembered to find it used by another principal.
	DefaultCredentialMemory = 24 * time.Hour
)

// Config is the enrich stage's configuration: the `enrich:` section of the
// aitdr configuration file.
type Config struct {
	// Catalog extends the shipped AI service catalog with the deployment's
	// files and sanctions or unsanctions services by id.
	Catalog catalog.Config `yaml:"catalog"`
	// DirectoryFiles are people directory exports, CSV or JSON as identity
	// providers export them (e-mail, user name, manager, team, linked
	// accounts): owners, teams, and one person's accounts linked.
	DirectoryFiles []string `yaml:"directory_files"`
	// EnvironmentFiles are YAML maps of accounts, projects, subscriptions,
	// Kubernetes namespaces and resources to environments.
	EnvironmentFiles []string `yaml:"environment_files"`
	// ClassificationFiles are data classification catalogs (YAML or CSV)
	// mapping resources to sensitivities.
	ClassificationFiles []string `yaml:"classification_files"`
	// Accounts tells corporate accounts from personal ones.
	Accounts accounts.Config `yaml:"accounts"`
	// FindingSensitivity sets the sensitivity of data a prompt finding of
	// a type reveals, over the defaults (restricted for credentials, card,
	// bank, national id and health data; confidential for the rest).
	FindingSensitivity map[string]schemas.Sensitivity `yaml:"finding_sensitivity"`
	// ReloadInterval is how often the catalog, directory, environment and
	// classification files are polled for changes. Default 2s.
	ReloadInterval time.Duration `yaml:"reload_interval"`
	// SharedCredentialWindow is how close in event time two uses of one
	// credential by one identity from unrelated clients (another client
	// and another network) must be to flag the credential as shared.
	// Default 5m.
	SharedCredentialWindow time.Duration `yaml:"shared_credential_window"`
	// CredentialMemory is how long, in event time, a credential is
	// remembered to find it used by another principal. Default 24h.
	CredentialMemory time.Duration `yaml:"credential_memory"`
	// WorkingHours is the working day of people whose directory entry
	// gives no working hours, and the time zone of those whose entry gives
	// none. Default Monday to Friday, 07:00 to 20:00, no time zone.
	WorkingHours WorkingHours `yaml:"working_hours"`
}

// Defaults of the WorkingHours fields: a wide working day, so that only
// the hours nobody works in count as off hours for a person whose
// directory entry does not say.
const (
	DefaultWorkingDays  = "Mon-Fri"
	DefaultWorkingStart = "07:00"
	DefaultWorkingEnd   = "20:00"
)

// WorkingHours is the working week assumed for people whose directory
// entry does not give theirs (enrichment.off_hours).
type WorkingHours struct {
	// Days are the working days: names ("monday", "Mon"), ranges
	// ("Mon-Fri") or "weekdays". Default Mon-Fri.
	Days []string `yaml:"days"`
	// Start and End are the local times the working day starts and ends,
	// "HH:MM"; an end before the start is a working day ending after
	// midnight. Default 07:00 and 20:00.
	Start string `yaml:"start"`
	End   string `yaml:"end"`
	// TimeZone is the time zone of people whose directory entry names
	// none: an IANA name (Europe/Berlin) or a UTC offset (UTC+05:30).
	// Default none: the hours of such people are not judged.
	TimeZone string `yaml:"time_zone"`
}

// Week returns the working week w describes, its defaults filled in;
// Location is nil when TimeZone is empty.
func (w WorkingHours) Week() (workhours.Week, error) {
	days := strings.Join(w.Days, ",")
	if strings.TrimSpace(days) == "" {
		days = DefaultWorkingDays
	}
	h, err := workhours.Parse(days, cmp.Or(w.Start, DefaultWorkingStart), cmp.Or(w.End, DefaultWorkingEnd))
	if err != nil {
		return workhours.Week{}, err
	}
	wk := workhours.Week{Hours: h}
	if w.TimeZone != "" {
		if wk.Location, err = workhours.LoadZone(w.TimeZone); err != nil {
			return workhours.Week{}, fmt.Errorf("time zone: %w", err)
		}
	}
	return wk, nil
}

// DefaultConfig returns the defaults: the shipped catalog alone, no
// directory or context files.
func DefaultConfig() Config {
	return Config{
		ReloadInterval:         DefaultReloadInterval,
		SharedCredentialWindow: DefaultSharedCredentialWindow,
		CredentialMemory:       DefaultCredentialMemory,
		WorkingHours:           WorkingHours{Days: []string{DefaultWorkingDays}, Start: DefaultWorkingStart, End: DefaultWorkingEnd},
	}
}

// Files returns every file the configuration names, for the watcher.
func (c Config) Files() []string {
	var out []string
	out = append(out, c.Catalog.Files...)
	out = append(out, c.DirectoryFiles...)
	out = append(out, c.EnvironmentFiles...)
	out = append(out, c.ClassificationFiles...)
	return out
}

// Validate returns every problem of the configuration joined, each naming
// its field ("directory_files[1]: empty"). It reads no file: `aitdr enrich
// check` and the stage's start do.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	files := func(field string, list []string) {
		for i, f := range list {
			if strings.TrimSpace(f) == "" {
				bad("%s[%d]: empty file name", field, i)
			}
		}
	}
	files("catalog.files", c.Catalog.Files)
	files("directory_files", c.DirectoryFiles)
	files("environment_files", c.EnvironmentFiles)
	files("classification_files", c.ClassificationFiles)
	for field, ids := range map[string][]string{"catalog.sanctioned": c.Catalog.Sanctioned, "catalog.unsanctioned": c.Catalog.Unsanctioned} {
		for i, id := range ids {
			if strings.TrimSpace(id) == "" {
				bad("%s[%d]: empty service id", field, i)
			}
		}
	}
	for _, id := range c.Catalog.Sanctioned {
		for _, u := range c.Catalog.Unsanctioned {
			if id == u && id != "" {
				bad("catalog.sanctioned: %q is also in catalog.unsanctioned", id)
			}
		}
	}
	if err := c.Accounts.Validate(); err != nil {
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			for _, e := range joined.Unwrap() {
				bad("accounts.%w", e)
			}
		} else {
			bad("accounts.%w", err)
		}
	}
	for t, s := range c.FindingSensitivity {
		if !s.Valid() || s == schemas.SensitivityUnknown {
			bad("finding_sensitivity.%s: %q is not one of public, internal, confidential, restricted", t, s)
		}
	}
	if c.ReloadInterval < 100*time.Millisecond {
		bad("reload_interval: %s must be at least 100ms", c.ReloadInterval)
	}
	if c.SharedCredentialWindow <= 0 {
		bad("shared_credential_window: %s must be positive", c.SharedCredentialWindow)
	}
	if _, err := c.WorkingHours.Week(); err != nil {
		bad("working_hours: %w", err)
	}
	if c.CredentialMemory < c.SharedCredentialWindow {
		bad("credential_memory: %s must be at least shared_credential_window (%s)", c.CredentialMemory, c.SharedCredentialWindow)
	}
	return errors.Join(errs...)
}
