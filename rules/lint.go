package rules

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Level is how serious a lint finding is.
type Level string

// Lint levels.
const (
	// LevelError is a problem that keeps the file from loading.
	LevelError Level = "error"
	// LevelWarning is a problem that loads but should be fixed.
	LevelWarning Level = "warning"
)

// Finding is one lint finding.
type Finding struct {
	Pos   Pos
	Level Level
	Msg   string
}

// String returns "file:line:col: level: message".
func (f Finding) String() string { return fmt.Sprintf("%s: %s: %s", f.Pos, f.Level, f.Msg) }

// Lint checks a loaded set beyond what loading requires. loadErr is the
// error Load returned with it; its problems come first, as errors. The
// warnings: macros and lists no rule uses, exceptions expired at now,
// rules without tests, stable rules without both a test that fires and one
// that does not, stable rules without an ATLAS technique, references that
// are not URLs. Findings are sorted by position.
func Lint(set *Set, loadErr error, now time.Time) []Finding {
	var out []Finding
	var problems Problems
	if errors.As(loadErr, &problems) {
		for _, p := range problems {
			out = append(out, Finding{Pos: p.Pos, Level: LevelError, Msg: p.Msg})
		}
	} else if loadErr != nil {
		out = append(out, Finding{Level: LevelError, Msg: loadErr.Error()})
	}
	warn := func(pos Pos, format string, args ...any) {
		out = append(out, Finding{Pos: pos, Level: LevelWarning, Msg: fmt.Sprintf(format, args...)})
	}
	used := map[string]bool{}
	for _, r := range set.rules {
		mergeRefs(used, r.refs)
	}
	for _, name := range sortedKeys(set.macros) {
		if !used[name] {
			warn(set.macros[name], "macro %s is not used by any rule", name)
		}
	}
	for _, name := range sortedKeys(set.lists) {
		if !used[name] {
			warn(set.lists[name], "list %s is not used by any rule", name)
		}
	}
	for _, r := range set.rules {
		for i, ex := range r.exceptions {
			if !ex.until.IsZero() && !now.Before(ex.until) {
				pos := r.Pos
				if i < len(r.exceptionPos) {
					pos = r.exceptionPos[i]
				}
				warn(pos, "rule %s: exception %s expired on %s and no longer applies; renew or remove it",
					r.ID, ex.name, ex.until.AddDate(0, 0, -1).Format(time.DateOnly))
			}
		}
		if len(r.Spec.Tests) == 0 {
			warn(r.Pos, "rule %s has no tests", r.ID)
		} else if r.Status == "stable" {
			fires, quiet := false, false
			for _, t := range r.Spec.Tests {
				if t.Expect.Alerts != nil {
					fires = fires || *t.Expect.Alerts > 0
					quiet = quiet || *t.Expect.Alerts == 0
				}
			}
			if !fires || !quiet {
				warn(r.Pos, "stable rule %s needs a test that fires and a near miss that does not", r.ID)
			}
		}
		if r.Status == "stable" && len(r.ATLAS) == 0 {
			warn(r.Pos, "stable rule %s maps to no MITRE ATLAS technique", r.ID)
		}
		for _, ref := range r.Spec.References {
			if u, err := url.Parse(ref); err != nil || u.Scheme == "" || u.Host == "" {
				warn(r.Pos, "rule %s: reference %q is not a URL", r.ID, ref)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if c := strings.Compare(a.Pos.File, b.Pos.File); c != 0 {
			return c
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Col - b.Pos.Col
	})
	return out
}
