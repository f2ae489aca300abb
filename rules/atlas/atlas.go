// Package atlas is the embedded MITRE ATLAS technique table (release
// Version) that rule files are checked against: every technique id a rule
// names must be in it. See README.md in this folder for its provenance and
// licence.
package atlas

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Version is the ATLAS release of the embedded table.
const Version = "5.6.0"

// techniquesTSV is techniques.tsv: id, name and tactic ids per technique.
//
//go:embed techniques.tsv
var techniquesTSV []byte

// Technique is one ATLAS technique or sub-technique.
type Technique struct {
	// ID is the technique id, such as "AML.T0051" or "AML.T0051.000".
	ID string
	// Name is the technique name.
	Name string
	// Tactics are the ids of its tactics, such as "AML.TA0005"; a
	// sub-technique has its parent's.
	Tactics []string
}

// Tactic is one ATLAS tactic.
type Tactic struct {
	// ID is the tactic id, such as "AML.TA0005".
	ID string
	// Name is the tactic name, such as "Execution".
	Name string
}

// tactics are the ATLAS tactics of the release, in matrix order.
var tactics = []Tactic{
	{"AML.TA0002", "Reconnaissance"},
	{"AML.TA0003", "Resource Development"},
	{"AML.TA0004", "Initial Access"},
	{"AML.TA0000", "AI Model Access"},
	{"AML.TA0005", "Execution"},
	{"AML.TA0006", "Persistence"},
	{"AML.TA0012", "Privilege Escalation"},
	{"AML.TA0007", "Defense Evasion"},
	{"AML.TA0013", "Credential Access"},
	{"AML.TA0008", "Discovery"},
	{"AML.TA0015", "Lateral Movement"},
	{"AML.TA0009", "Collection"},
	{"AML.TA0001", "AI Attack Staging"},
	{"AML.TA0014", "Command and Control"},
	{"AML.TA0010", "Exfiltration"},
	{"AML.TA0011", "Impact"},
}

var (
	loadOnce   sync.Once
	techniques map[string]Technique
	loadErr    error
)

// IDPattern is the form of an ATLAS technique id.
var IDPattern = regexp.MustCompile(`^AML\.T\d{4}(\.\d{3})?$`)

// Lookup returns the technique with id, and whether the table has it.
func Lookup(id string) (Technique, bool) {
	loadOnce.Do(func() { techniques, loadErr = parse(techniquesTSV) })
	if loadErr != nil {
		return Technique{}, false
	}
	t, ok := techniques[id]
	return t, ok
}

// TacticName returns the name of the tactic with id, or "".
func TacticName(id string) string {
	for _, t := range tactics {
		if t.ID == id {
			return t.Name
		}
	}
	return ""
}

// Tactics returns every ATLAS tactic, in matrix order.
func Tactics() []Tactic { return slices.Clone(tactics) }

// Techniques returns every technique of the table, sorted by id.
func Techniques() []Technique {
	loadOnce.Do(func() { techniques, loadErr = parse(techniquesTSV) })
	out := make([]Technique, 0, len(techniques))
	for _, t := range techniques {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Technique) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// parse reads the TSV table: a header line, then id, name and
// comma-separated tactic ids per line.
func parse(data []byte) (map[string]Technique, error) {
	out := make(map[string]Technique, 200)
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			if sc.Text() != "id\tname\ttactic_ids" {
				return nil, fmt.Errorf("atlas techniques.tsv line 1: header %q, want \"id\\tname\\ttactic_ids\"", sc.Text())
			}
			continue
		}
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 || !IDPattern.MatchString(fields[0]) {
			return nil, fmt.Errorf("atlas techniques.tsv line %d: %q is not id, name, tactic ids", line, sc.Text())
		}
		t := Technique{ID: fields[0], Name: fields[1]}
		if fields[2] != "" {
			t.Tactics = strings.Split(fields[2], ",")
		}
		out[t.ID] = t
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("atlas techniques.tsv: %w", err)
	}
	return out, nil
}
