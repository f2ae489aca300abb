package responder

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/aitdr/aitdr/schemas"

	"github.com/aitdr/aitdr/internal/glob"
)

// defaultPlaybooks is the playbook set of a new install; its ids are the
// ones the rule pack recommends.
//
//go:embed playbooks/default.yaml
var defaultPlaybooks []byte

// DefaultPlaybooksFile is the name errors give the embedded default set.
const DefaultPlaybooksFile = "<default>/default.yaml"

// Approval values of a step.
const (
	// ApprovalPolicy (the default, written as "" or "policy") lets the
	// class policy decide.
	ApprovalPolicy = "policy"
	// ApprovalRequired makes the step wait for a human whatever the
	// policy says. A playbook can only tighten the policy, never loosen it.
	ApprovalRequired = "required"
)

// Limits of what a playbook file may hold, so a bad file cannot make the
// responder allocate without bound.
const (
	maxPlaybooksPerFile = 1000
	maxStepsPerPlaybook = 50
	maxStepRetries      = 20
	maxStepTimeout      = 30 * time.Minute
)

// Playbook is a loaded, checked playbook: when it applies (Match) and the
// ordered steps it runs. Playbooks are immutable once loaded.
type Playbook struct {
	// ID names the playbook; rules recommend playbooks by id.
	ID string
	// Title and Description are for humans.
	Title, Description string
	// Priority orders playbooks for selection, highest first; equal
	// priorities keep file order. Default 0.
	Priority int
	// Enabled playbooks are selected. Default true.
	Enabled bool
	// DryRun runs the playbook's containment steps as dry runs even when
	// the responder is live: a new playbook can be tried in production.
	DryRun bool
	// Match is when the playbook applies.
	Match Match
	// Steps run in order.
	Steps []Step
	// Source is where the playbook was defined: "file:line".
	Source string
}

// Match is the condition of a playbook. Every list that is set must match
// (AND); the values of a list are alternatives (OR); an empty list matches
// everything.
type Match struct {
	// Rules are globs of rule ids.
	Rules []string
	// Severities are the severities that match.
	Severities []Severity
	// MinSeverity is the lowest severity that matches; SeverityUnknown
	// when unset.
	MinSeverity Severity
	// Classes are the identity classes that match.
	Classes []schemas.IdentityClass
	// Tags match when the alert has any of them (rule tags and finding
	// types).
	Tags []string
	// Environments match when a targeted resource is in any of them.
	Environments []string
}

// Matches reports whether a satisfies m.
func (m *Match) Matches(a *Alert) bool {
	if len(m.Rules) > 0 && !slices.ContainsFunc(m.Rules, func(g string) bool { return glob.Match(g, a.RuleID) }) {
		return false
	}
	if len(m.Severities) > 0 && !slices.Contains(m.Severities, a.Severity) {
		return false
	}
	if m.MinSeverity != SeverityUnknown && a.Severity < m.MinSeverity {
		return false
	}
	if len(m.Classes) > 0 && !slices.Contains(m.Classes, a.Class) {
		return false
	}
	if len(m.Tags) > 0 && !slices.ContainsFunc(m.Tags, func(t string) bool { return slices.Contains(a.Tags, t) }) {
		return false
	}
	if len(m.Environments) > 0 && !slices.ContainsFunc(m.Environments, func(e string) bool { return slices.Contains(a.Environments, e) }) {
		return false
	}
	return true
}

// Step is one step of a playbook.
type Step struct {
	// ID names the step within its playbook; with the alert id it derives
	// the action id.
	ID string
	// Action is the containment step.
	Action ActionKind
	// Connector runs it; "" takes the identity's provider (aws, okta, ...)
	// for containment and Config.NotifyConnector for notify.
	Connector string
	// Params go to the connector as they are.
	Params map[string]string
	// ApprovalRequired makes the step wait for a human whatever the class
	// policy says.
	ApprovalRequired bool
	// Timeout bounds one attempt; 0 takes Config.Step.Timeout.
	Timeout time.Duration
	// Retries is the number of retries on a retryable provider error; -1
	// takes Config.Step.Retries.
	Retries int
}

// PlaybookError is a problem of a playbook file at a place in it.
type PlaybookError struct {
	// File is the file name.
	File string
	// Line and Column are 1-based; 0 when unknown.
	Line, Column int
	// Problem says what is wrong.
	Problem string
}

func (e *PlaybookError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Problem)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Problem)
	}
	return e.File + ": " + e.Problem
}

// The YAML shape of a playbook file; durations stay strings so that a bad
// one is reported at its place.
type playbookFile struct {
	Playbooks []rawPlaybook `yaml:"playbooks"`
}

type rawPlaybook struct {
	ID          string    `yaml:"id"`
	Title       string    `yaml:"title"`
	Description string    `yaml:"description"`
	Priority    int       `yaml:"priority"`
	Enabled     *bool     `yaml:"enabled"`
	DryRun      bool      `yaml:"dry_run"`
	Match       rawMatch  `yaml:"match"`
	Steps       []rawStep `yaml:"steps"`
}

type rawMatch struct {
	Rules        []string `yaml:"rules"`
	Severities   []string `yaml:"severities"`
	MinSeverity  string   `yaml:"min_severity"`
	Classes      []string `yaml:"classes"`
	Tags         []string `yaml:"tags"`
	Environments []string `yaml:"environments"`
}

type rawStep struct {
	ID        string            `yaml:"id"`
	Action    string            `yaml:"action"`
	Connector string            `yaml:"connector"`
	Params    map[string]string `yaml:"params"`
	Approval  string            `yaml:"approval"`
	Timeout   string            `yaml:"timeout"`
	Retries   *int              `yaml:"retries"`
}

var idRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// ParsePlaybooks reads the playbooks of one file. Every problem is
// reported, each a *PlaybookError with the file, line and column, joined
// with errors.Join; on any problem no playbook is returned.
func ParsePlaybooks(file string, data []byte) ([]*Playbook, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	tree, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, yamlError(file, err)
	}
	if len(tree.Docs) > 1 {
		return nil, &PlaybookError{File: file, Line: posOf(tree.Docs[1].Body).Line, Problem: "one YAML document per playbook file"}
	}
	var raw playbookFile
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict(), yaml.DisallowUnknownField())
	if err := dec.Decode(&raw); err != nil {
		return nil, yamlError(file, err)
	}
	c := &checker{file: file, tree: tree}
	if len(raw.Playbooks) > maxPlaybooksPerFile {
		c.bad("$.playbooks", "%d playbooks, more than the %d a file may hold", len(raw.Playbooks), maxPlaybooksPerFile)
		return nil, c.err()
	}
	seen := map[string]string{}
	var out []*Playbook
	for i, rp := range raw.Playbooks {
		at := fmt.Sprintf("$.playbooks[%d]", i)
		pb := &Playbook{
			ID: rp.ID, Title: rp.Title, Description: rp.Description, Priority: rp.Priority,
			Enabled: rp.Enabled == nil || *rp.Enabled, DryRun: rp.DryRun,
			Source: fmt.Sprintf("%s:%d", file, c.pos(at).Line),
		}
		switch {
		case rp.ID == "":
			c.bad(at, "playbook has no id")
		case !idRe.MatchString(rp.ID):
			c.bad(at+".id", "id %q must be lower-case letters, digits, '-', '_' or '.', at most 64", rp.ID)
		case seen[rp.ID] != "":
			c.bad(at+".id", "id %q is already defined at %s", rp.ID, seen[rp.ID])
		default:
			seen[rp.ID] = pb.Source
		}
		pb.Match = c.match(at+".match", rp.Match)
		if len(rp.Steps) == 0 {
			c.bad(at, "playbook %q has no steps", rp.ID)
		}
		if len(rp.Steps) > maxStepsPerPlaybook {
			c.bad(at+".steps", "%d steps, more than the %d a playbook may have", len(rp.Steps), maxStepsPerPlaybook)
			continue
		}
		stepIDs := map[string]bool{}
		for j, rs := range rp.Steps {
			st := c.step(fmt.Sprintf("%s.steps[%d]", at, j), rs)
			if st.ID != "" && stepIDs[st.ID] {
				c.bad(fmt.Sprintf("%s.steps[%d].id", at, j), "step id %q is used twice in playbook %q", st.ID, rp.ID)
			}
			stepIDs[st.ID] = true
			pb.Steps = append(pb.Steps, st)
		}
		out = append(out, pb)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// checker collects the problems of one file with their places.
type checker struct {
	file string
	tree *ast.File
	errs []error
}

// err returns the problems in file order.
func (c *checker) err() error {
	slices.SortStableFunc(c.errs, func(a, b error) int {
		pa, pb := a.(*PlaybookError), b.(*PlaybookError)
		if pa.Line != pb.Line {
			return pa.Line - pb.Line
		}
		return pa.Column - pb.Column
	})
	return errors.Join(c.errs...)
}

// pos returns the position of the node at the YAML path, or of its
// nearest ancestor that exists.
func (c *checker) pos(path string) *token.Position {
	for path != "" {
		if p, err := yaml.PathString(path); err == nil {
			if n, err := p.FilterFile(c.tree); err == nil && n != nil {
				return posOf(n)
			}
		}
		i := strings.LastIndexAny(path, ".[")
		if i <= 0 {
			break
		}
		path = path[:i]
	}
	return &token.Position{}
}

func posOf(n ast.Node) *token.Position {
	if n == nil || n.GetToken() == nil || n.GetToken().Position == nil {
		return &token.Position{}
	}
	return n.GetToken().Position
}

func (c *checker) bad(path, format string, args ...any) {
	p := c.pos(path)
	c.errs = append(c.errs, &PlaybookError{File: c.file, Line: p.Line, Column: p.Column, Problem: fmt.Sprintf(format, args...)})
}

func (c *checker) match(at string, rm rawMatch) Match {
	m := Match{Rules: rm.Rules, Tags: rm.Tags, Environments: rm.Environments}
	for i, r := range rm.Rules {
		if strings.TrimSpace(r) == "" {
			c.bad(fmt.Sprintf("%s.rules[%d]", at, i), "empty rule pattern")
		}
	}
	for i, s := range rm.Severities {
		sev, err := ParseSeverity(s)
		if err != nil {
			c.bad(fmt.Sprintf("%s.severities[%d]", at, i), "%v", err)
			continue
		}
		m.Severities = append(m.Severities, sev)
	}
	if rm.MinSeverity != "" {
		sev, err := ParseSeverity(rm.MinSeverity)
		if err != nil {
			c.bad(at+".min_severity", "%v", err)
		}
		m.MinSeverity = sev
	}
	for i, cl := range rm.Classes {
		class := schemas.IdentityClass(cl)
		if !class.Valid() {
			c.bad(fmt.Sprintf("%s.classes[%d]", at, i), "%q is not an identity class (ai_user, ai_builder, ai_agent, human, service, unknown)", cl)
			continue
		}
		m.Classes = append(m.Classes, class)
	}
	for i, e := range rm.Environments {
		if env := schemas.Environment(e); !env.Valid() {
			c.bad(fmt.Sprintf("%s.environments[%d]", at, i), "%q is not an environment (prod, staging, dev, test, unknown)", e)
		}
	}
	return m
}

func (c *checker) step(at string, rs rawStep) Step {
	st := Step{ID: rs.ID, Action: ActionKind(rs.Action), Connector: rs.Connector, Params: rs.Params, Retries: -1}
	switch {
	case rs.ID == "":
		c.bad(at, "step has no id")
	case !idRe.MatchString(rs.ID):
		c.bad(at+".id", "step id %q must be lower-case letters, digits, '-', '_' or '.', at most 64", rs.ID)
	}
	if !st.Action.Valid() {
		names := make([]string, len(actionKinds))
		for i, k := range actionKinds {
			names[i] = string(k)
		}
		c.bad(at+".action", "action %q is not one of %s", rs.Action, strings.Join(names, ", "))
	}
	if rs.Connector != "" && !idRe.MatchString(rs.Connector) {
		c.bad(at+".connector", "connector %q is not a connector name", rs.Connector)
	}
	switch rs.Approval {
	case "", ApprovalPolicy:
	case ApprovalRequired:
		st.ApprovalRequired = true
	default:
		c.bad(at+".approval", "approval %q is not %s or %s", rs.Approval, ApprovalPolicy, ApprovalRequired)
	}
	if rs.Timeout != "" {
		d, err := time.ParseDuration(rs.Timeout)
		switch {
		case err != nil:
			c.bad(at+".timeout", "%q is not a duration such as 30s or 2m", rs.Timeout)
		case d <= 0 || d > maxStepTimeout:
			c.bad(at+".timeout", "%s must be above 0 and at most %s", d, maxStepTimeout)
		}
		st.Timeout = d
	}
	if rs.Retries != nil {
		if *rs.Retries < 0 || *rs.Retries > maxStepRetries {
			c.bad(at+".retries", "%d must be from 0 to %d", *rs.Retries, maxStepRetries)
		}
		st.Retries = *rs.Retries
	}
	return st
}

// yamlError turns a goccy error into a PlaybookError at its token.
func yamlError(file string, err error) error {
	var ye interface {
		GetToken() *token.Token
		GetMessage() string
	}
	if errors.As(err, &ye) {
		pe := &PlaybookError{File: file, Problem: ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			pe.Line, pe.Column = tk.Position.Line, tk.Position.Column
		}
		return pe
	}
	return &PlaybookError{File: file, Problem: err.Error()}
}

// PlaybookSet is a loaded set of playbooks in selection order. It is
// immutable and safe for concurrent use; a reload builds a new one.
type PlaybookSet struct {
	list  []*Playbook
	byID  map[string]*Playbook
	files []string
}

// NewPlaybookSet orders playbooks for selection: highest priority first,
// equal priorities in the order given. Ids must be unique.
func NewPlaybookSet(playbooks []*Playbook) (*PlaybookSet, error) {
	s := &PlaybookSet{byID: make(map[string]*Playbook, len(playbooks))}
	for _, pb := range playbooks {
		if prev, ok := s.byID[pb.ID]; ok {
			return nil, fmt.Errorf("%s: playbook id %q is already defined at %s", pb.Source, pb.ID, prev.Source)
		}
		s.byID[pb.ID] = pb
		s.list = append(s.list, pb)
	}
	slices.SortStableFunc(s.list, func(a, b *Playbook) int { return b.Priority - a.Priority })
	return s, nil
}

// LoadPlaybooks reads the embedded default set (when defaults is true),
// then the playbook files under paths: files, and directories walked for
// *.yaml and *.yml. A playbook of a file replaces a default one of the same
// id; two files defining one id is an error. Every problem of every file is
// reported; on any, no set is returned, so the caller keeps its previous one.
func LoadPlaybooks(paths []string, defaults bool) (*PlaybookSet, error) {
	var errs []error
	var base []*Playbook
	if defaults {
		pbs, err := ParsePlaybooks(DefaultPlaybooksFile, defaultPlaybooks)
		if err != nil {
			return nil, fmt.Errorf("default playbooks: %w", err)
		}
		base = pbs
	}
	var files []string
	for _, root := range paths {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				// Hidden directories are skipped: a mounted Kubernetes
				// ConfigMap keeps each version under "..<timestamp>", which
				// would load every playbook twice.
				if path != root && strings.HasPrefix(d.Name(), ".") {
					return fs.SkipDir
				}
				return nil
			}
			if ext := filepath.Ext(path); path == root || ext == ".yaml" || ext == ".yml" {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("playbooks %s: %w", root, err))
		}
	}
	var own []*Playbook
	defined := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("read playbooks: %w", err))
			continue
		}
		pbs, err := ParsePlaybooks(f, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, pb := range pbs {
			if prev, ok := defined[pb.ID]; ok {
				errs = append(errs, fmt.Errorf("%s: playbook id %q is already defined at %s", pb.Source, pb.ID, prev))
				continue
			}
			defined[pb.ID] = pb.Source
			own = append(own, pb)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	all := slices.DeleteFunc(base, func(pb *Playbook) bool { return defined[pb.ID] != "" })
	set, err := NewPlaybookSet(append(all, own...))
	if err != nil {
		return nil, err
	}
	set.files = files
	return set, nil
}

// Files returns the files the set was loaded from, besides the defaults.
func (s *PlaybookSet) Files() []string { return slices.Clone(s.files) }

// All returns the playbooks in selection order.
func (s *PlaybookSet) All() []*Playbook { return slices.Clone(s.list) }

// Lookup returns the playbook with id.
func (s *PlaybookSet) Lookup(id string) (*Playbook, bool) {
	pb, ok := s.byID[id]
	return pb, ok
}

// Select returns the playbook for a, and why: the one the rule recommends
// when it is enabled and its match holds, else the first enabled playbook
// in selection order whose match holds; nil when none does.
func (s *PlaybookSet) Select(a *Alert) (*Playbook, string) {
	if a.Playbook != "" {
		if pb, ok := s.byID[a.Playbook]; ok && pb.Enabled && pb.Match.Matches(a) {
			return pb, "recommended by rule " + a.RuleID
		}
	}
	for _, pb := range s.list {
		if pb.Enabled && pb.Match.Matches(a) {
			return pb, "matched " + pb.Source
		}
	}
	return nil, "no playbook matches"
}
