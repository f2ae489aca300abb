package rules

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Loader reads rule files from directories, files and embedded trees and
// compiles them into a Set. Directories are read recursively: *.yaml and
// *.yml files, skipping names that start with a dot.
//
// One bad file never stops the others: a file with any problem is
// rejected whole (its rules, macros and lists), the rest load, and every
// problem is reported with its file, line and column. Rules of other files
// that use a macro or list of a rejected file are rejected in turn, saying
// so. Across loads the Loader keeps the last good version of each file: a
// file that turns bad is served in its last good version until it is
// fixed, so a reload never loses rules that were running.
//
// A Loader is safe for concurrent use; loads are serialized.
type Loader struct {
	mu       sync.Mutex
	roots    []root
	disabled []string
	lastGood map[string][]byte
}

// root is a place rule files are read from.
type root struct {
	fsys    fs.FS  // an embedded tree, or nil for the OS path
	path    string // the OS path, or the display prefix of fsys
	watched bool
}

// NewLoader returns a Loader of no files; add them with AddFS and AddPaths.
func NewLoader() *Loader { return &Loader{lastGood: map[string][]byte{}} }

// AddFS adds the rule files of fsys (walked from its root), named
// display/<path> in problems and alerts. Embedded trees are not watched.
func (l *Loader) AddFS(fsys fs.FS, display string) *Loader {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roots = append(l.roots, root{fsys: fsys, path: display})
	return l
}

// AddPaths adds files and directories of the file system.
func (l *Loader) AddPaths(paths ...string) *Loader {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range paths {
		l.roots = append(l.roots, root{path: p, watched: true})
	}
	return l
}

// Disable turns the rules with these ids off in every set loaded.
func (l *Loader) Disable(ids ...string) *Loader {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.disabled = append(l.disabled, ids...)
	return l
}

// Paths returns the file system paths added, which a watcher polls for
// changes.
func (l *Loader) Paths() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.roots {
		if r.watched {
			out = append(out, r.path)
		}
	}
	return out
}

// sourceFile is a rule file's name and content.
type sourceFile struct {
	name string
	data []byte
}

// isRuleFile reports whether a file name is one the loader reads in a
// directory.
func isRuleFile(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return (ext == ".yaml" || ext == ".yml") && !strings.HasPrefix(path.Base(name), ".")
}

// read returns every rule file of the roots, with the problems of the
// ones that could not be read.
func (l *Loader) read() ([]sourceFile, Problems) {
	var files []sourceFile
	var problems Problems
	seen := map[string]bool{}
	add := func(name, key string, data []byte) {
		if seen[key] {
			return
		}
		seen[key] = true
		files = append(files, sourceFile{name: name, data: trimBOM(data)})
	}
	for _, r := range l.roots {
		if r.fsys != nil {
			err := fs.WalkDir(r.fsys, ".", func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if d.IsDir() {
					if p != "." && strings.HasPrefix(d.Name(), ".") {
						return fs.SkipDir
					}
					return nil
				}
				if !isRuleFile(p) {
					return nil
				}
				data, err := fs.ReadFile(r.fsys, p)
				if err != nil {
					return err
				}
				name := r.path + "/" + p
				add(name, "fs:"+name, data)
				return nil
			})
			if err != nil {
				problems = append(problems, &Error{Pos: Pos{File: r.path}, Msg: "read: " + err.Error(), Err: err})
			}
			continue
		}
		info, err := os.Stat(r.path)
		if err != nil {
			problems = append(problems, &Error{Pos: Pos{File: r.path}, Msg: "read: " + pathError(err), Err: err})
			continue
		}
		if !info.IsDir() {
			data, err := os.ReadFile(r.path)
			if err != nil {
				problems = append(problems, &Error{Pos: Pos{File: r.path}, Msg: "read: " + pathError(err), Err: err})
				continue
			}
			add(r.path, absKey(r.path), data)
			continue
		}
		var found []string
		err = filepath.WalkDir(r.path, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				problems = append(problems, &Error{Pos: Pos{File: p}, Msg: "read: " + pathError(err), Err: err})
				return nil
			}
			if d.IsDir() {
				if p != r.path && strings.HasPrefix(d.Name(), ".") {
					return fs.SkipDir
				}
				return nil
			}
			if isRuleFile(p) {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			problems = append(problems, &Error{Pos: Pos{File: r.path}, Msg: "read: " + pathError(err), Err: err})
		}
		slices.Sort(found)
		for _, p := range found {
			data, err := os.ReadFile(p)
			if err != nil {
				problems = append(problems, &Error{Pos: Pos{File: p}, Msg: "read: " + pathError(err), Err: err})
				continue
			}
			add(p, absKey(p), data)
		}
	}
	return files, problems
}

func absKey(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// pathError is the cause of a file system error without the path, which
// the problem's position already names.
func pathError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Load reads and compiles the rule files. It always returns a usable Set;
// the error, when not nil, is Problems listing every problem (the files
// they are in were rejected or served in their last good version).
func (l *Loader) Load() (*Set, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	files, problems := l.read()
	parsed := make([]*parsedFile, 0, len(files))
	var bad []string
	current := map[string][]byte{}
	for _, f := range files {
		current[f.name] = f.data
		pf, errs := parseFile(f.name, f.data)
		if len(errs) > 0 {
			problems = append(problems, errs...)
			bad = append(bad, f.name)
			pf = nil
		}
		parsed = append(parsed, pf)
	}
	set, rejected := compileSet(parsed, l.disabled)
	for _, name := range sortedKeys(rejected) {
		problems = append(problems, rejected[name]...)
		bad = append(bad, name)
	}
	// Serve the last good version of the files that turned bad.
	var previous []string
	if len(bad) > 0 {
		substituted := false
		for i, f := range files {
			good, ok := l.lastGood[f.name]
			if !ok || !slices.Contains(bad, f.name) || string(good) == string(f.data) {
				continue
			}
			pf, errs := parseFile(f.name, good)
			if len(errs) > 0 {
				continue
			}
			parsed[i] = pf
			current[f.name] = good
			previous = append(previous, f.name)
			substituted = true
		}
		if substituted {
			var again map[string]Problems
			set, again = compileSet(parsed, l.disabled)
			// A previous version that no longer fits is dropped; its
			// current problems were reported already.
			previous = slices.DeleteFunc(previous, func(name string) bool { return again[name] != nil })
			for _, name := range sortedKeys(again) {
				if !slices.Contains(bad, name) {
					problems = append(problems, again[name]...)
					bad = append(bad, name)
				}
			}
		}
	}
	for _, name := range set.files {
		l.lastGood[name] = current[name]
	}
	set.previous = previous
	if len(problems) > 0 {
		return set, sortProblems(problems)
	}
	return set, nil
}

// compileSet compiles the parsed files (nil entries are files that did not
// parse) into a set, rejecting every file with a problem until the rest
// compile cleanly. It returns the problems of each rejected file.
func compileSet(files []*parsedFile, disabled []string) (*Set, map[string]Problems) {
	rejected := map[string]Problems{}
	rejectedNames := map[string]string{}
	for {
		var accepted []*parsedFile
		for _, f := range files {
			if f != nil && rejected[f.name] == nil {
				accepted = append(accepted, f)
			}
		}
		problems := map[string]Problems{}
		report := func(f *parsedFile, e *Error) { problems[f.name] = append(problems[f.name], e) }

		macros := map[string]*macroDef{}
		lists := map[string]*listDef{}
		defined := map[string]Pos{}
		define := func(f *parsedFile, kind, name, p string) bool {
			switch {
			case name == "":
				report(f, f.errorf(p+".name", "required"))
			case !namePattern.MatchString(name):
				report(f, f.errorf(p+".name", "%q must be lower-case letters, digits and underscores, starting with a letter", name))
			case reservedName(name) != "":
				report(f, f.errorf(p+".name", "%q is %s; choose another %s name", name, reservedName(name), kind))
			default:
				if at, ok := defined[name]; ok {
					report(f, f.errorf(p+".name", "%s name %q is already defined at %s", kind, name, at))
					return false
				}
				defined[name] = f.pos(p + ".name")
				return true
			}
			return false
		}
		listPos, macroPos := map[string]Pos{}, map[string]Pos{}
		for _, f := range accepted {
			for i, ls := range f.spec.Lists {
				p := fmt.Sprintf("lists[%d]", i)
				if ls.Items == nil {
					report(f, f.errorf(p+".items", "required (an empty list is [])"))
				}
				if !define(f, "list", ls.Name, p) {
					continue
				}
				set := make(map[string]struct{}, len(ls.Items))
				for _, it := range ls.Items {
					set[strings.ToLower(it)] = struct{}{}
				}
				lists[ls.Name] = &listDef{name: ls.Name, file: f.name, items: ls.Items, lower: set}
				listPos[ls.Name] = f.itemPos(p, "name")
			}
			for i, m := range f.spec.Macros {
				p := fmt.Sprintf("macros[%d]", i)
				if !define(f, "macro", m.Name, p) {
					continue
				}
				macros[m.Name] = &macroDef{name: m.Name, source: m.Condition, file: f.name}
				macroPos[m.Name] = f.itemPos(p, "name")
			}
		}
		env := newExprEnv(macros, lists, rejectedNames)
		for _, f := range accepted {
			for i, m := range f.spec.Macros {
				p := fmt.Sprintf("macros[%d].condition", i)
				if strings.TrimSpace(m.Condition) == "" {
					report(f, f.errorf(p, "required"))
					continue
				}
				if _, _, err := env.compile(m.Condition, resultBool); err != nil {
					for _, e := range f.exprError(p, 0, err) {
						report(f, e)
					}
				}
			}
		}
		var rules []*Rule
		ids := map[string]Pos{}
		for _, f := range accepted {
			c := &ruleCompiler{pf: f, env: env}
			for i := range f.spec.Rules {
				r := c.compileRule(i)
				if r.ID != "" {
					if at, ok := ids[r.ID]; ok {
						c.errorf(fmt.Sprintf("rules[%d].id", i), "rule id %q is already defined at %s", r.ID, at)
					}
					ids[r.ID] = r.Pos
				}
				if slices.Contains(disabled, r.ID) {
					r.Enabled = false
				}
				rules = append(rules, r)
			}
			for _, e := range c.errs {
				report(f, e)
			}
		}
		if len(problems) == 0 {
			set := newSet(rules, env, macroPos, listPos)
			for _, f := range accepted {
				set.files = append(set.files, f.name)
			}
			return set, rejected
		}
		for name, p := range problems {
			rejected[name] = sortProblems(p)
			for _, f := range accepted {
				if f.name != name {
					continue
				}
				for _, m := range f.spec.Macros {
					if m.Name != "" && rejectedNames[m.Name] == "" {
						rejectedNames[m.Name] = name
					}
				}
				for _, ls := range f.spec.Lists {
					if ls.Name != "" && rejectedNames[ls.Name] == "" {
						rejectedNames[ls.Name] = name
					}
				}
			}
		}
	}
}

// LoadPaths loads the rule files at paths (files and directories) with a
// new Loader.
func LoadPaths(paths ...string) (*Set, error) { return NewLoader().AddPaths(paths...).Load() }
