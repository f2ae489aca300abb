package responder_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/schemas"
)

// A bad playbook file is rejected with every problem at its file, line and
// column, in file order, and yields no playbook.
func TestParsePlaybooksRejectsBadFiles(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown-field.bad.yaml", []string{
			`unknown-field.bad.yaml:4:7: unknown field "clases"`,
		}},
		{"wrong-type.bad.yaml", []string{
			`wrong-type.bad.yaml:3:15: cannot unmarshal string into Go struct field playbookFile.Playbooks of type int`,
		}},
		{"syntax.bad.yaml", []string{
			`syntax.bad.yaml:5:17: sequence end token ']' not found`,
		}},
		{"duplicate-id.bad.yaml", []string{
			`duplicate-id.bad.yaml:6:9: id "notify-soc" is already defined at testdata/playbooks/duplicate-id.bad.yaml:2`,
		}},
		{"bad-values.bad.yaml", []string{
			`bad-values.bad.yaml:4:27: "robot" is not an identity class (ai_user, ai_builder, ai_agent, human, service, unknown)`,
			`bad-values.bad.yaml:5:26: severity "urgent" is not one of info, low, medium, high, critical`,
			`bad-values.bad.yaml:6:22: "production" is not an environment (prod, staging, dev, test, unknown)`,
			`bad-values.bad.yaml:9:17: action "revoke_everything" is not one of disable_account, revoke_sessions, revoke_keys, deny_all, delete_login_profile, quarantine_tag, remove_role_bindings, remove_collaborator, webhook, notify`,
			`bad-values.bad.yaml:10:13: step id "revoke" is used twice in playbook "contain-agent"`,
			`bad-values.bad.yaml:12:19: approval "sometimes" is not policy or required`,
			`bad-values.bad.yaml:13:18: "soon" is not a duration such as 30s or 2m`,
			`bad-values.bad.yaml:14:18: 99 must be from 0 to 20`,
			`bad-values.bad.yaml:15:7: playbook "Contain Agent" has no steps`,
			`bad-values.bad.yaml:15:9: id "Contain Agent" must be lower-case letters, digits, '-', '_' or '.', at most 64`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "playbooks", tt.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			pbs, err := responder.ParsePlaybooks(path, data)
			if err == nil || pbs != nil {
				t.Fatalf("parsed %d playbooks without error", len(pbs))
			}
			var got []string
			for _, line := range strings.Split(err.Error(), "\n") {
				got = append(got, strings.TrimPrefix(line, "testdata/playbooks/"))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			var pe *responder.PlaybookError
			if !errors.As(err, &pe) || pe.File != path || pe.Line == 0 || pe.Column == 0 {
				t.Errorf("first error is not a positioned *PlaybookError: %#v", pe)
			}
		})
	}
}

// A good file reads every field; unset ones take their defaults.
func TestParsePlaybooksReadsFields(t *testing.T) {
	path := filepath.Join("testdata", "playbooks", "good.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pbs, err := responder.ParsePlaybooks(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(pbs) != 3 {
		t.Fatalf("%d playbooks, want 3", len(pbs))
	}
	agent, builder, off := pbs[0], pbs[1], pbs[2]
	if agent.ID != "contain-agent" || agent.Priority != 10 || !agent.Enabled || agent.DryRun || agent.Source != path+":2" {
		t.Errorf("contain-agent = %+v", agent)
	}
	if agent.Match.MinSeverity != responder.SeverityMedium || !slices.Equal(agent.Match.Classes, []schemas.IdentityClass{schemas.ClassAIAgent}) ||
		!slices.Equal(agent.Match.Environments, []string{"prod"}) {
		t.Errorf("contain-agent match = %+v", agent.Match)
	}
	soar, notify := agent.Steps[0], agent.Steps[1]
	if soar.ID != "soar" || soar.Action != responder.ActionWebhook || soar.Connector != "webhook" || soar.Timeout != 5*time.Second ||
		soar.Retries != 1 || soar.Params["target"] != "soar" || soar.Params["retries"] != "3" || soar.Params["enabled"] != "true" {
		t.Errorf("step soar = %+v", soar)
	}
	if notify.Timeout != 0 || notify.Retries != -1 || notify.ApprovalRequired || notify.Connector != "" {
		t.Errorf("step notify takes defaults: %+v", notify)
	}
	if !builder.DryRun || !builder.Steps[0].ApprovalRequired || !slices.Equal(builder.Match.Rules, []string{"aitdr-builder-*"}) {
		t.Errorf("contain-builder = %+v", builder)
	}
	if off.Enabled {
		t.Error("enabled: false is read as enabled")
	}
}

// The default set loads and defines every playbook id the rule pack
// recommends, each with steps.
func TestDefaultPlaybooks(t *testing.T) {
	set, err := responder.LoadPlaybooks(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"notify-soc", "contain-agent", "contain-builder", "contain-user", "revoke-credential", "disable-model-access"} {
		pb, ok := set.Lookup(id)
		if !ok || len(pb.Steps) == 0 || !pb.Enabled {
			t.Errorf("default playbook %q: found %v, %+v", id, ok, pb)
		}
	}
	all := set.All()
	if last := all[len(all)-1]; last.ID != "notify-soc" {
		t.Errorf("the catch-all notify-soc is not selected last: %s is", last.ID)
	}
}

// Files replace default playbooks of the same id; two files defining one
// id, or any bad file, fail the whole load.
func TestLoadPlaybooksFromFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("a.yaml", "playbooks:\n  - id: contain-agent\n    steps:\n      - {id: hook, action: webhook}\n")
	write("notes.txt", "not a playbook")
	// A mounted ConfigMap keeps its files under a hidden "..<timestamp>"
	// directory too: they must not load twice.
	if err := os.Mkdir(filepath.Join(dir, "..2026_11_26"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join("..2026_11_26", "a.yaml"), "playbooks:\n  - id: contain-agent\n    steps:\n      - {id: hook, action: webhook}\n")
	set, err := responder.LoadPlaybooks([]string{dir}, true)
	if err != nil {
		t.Fatal(err)
	}
	if pb, _ := set.Lookup("contain-agent"); pb == nil || len(pb.Steps) != 1 || pb.Steps[0].Action != responder.ActionWebhook {
		t.Errorf("contain-agent was not replaced by the file: %+v", pb)
	}
	if _, ok := set.Lookup("contain-user"); !ok {
		t.Error("the other default playbooks are gone")
	}
	if files := set.Files(); len(files) != 1 || filepath.Base(files[0]) != "a.yaml" {
		t.Errorf("files = %v", files)
	}
	write("b.yml", "playbooks:\n  - id: contain-agent\n    steps:\n      - {id: hook, action: webhook}\n")
	_, err = responder.LoadPlaybooks([]string{dir}, true)
	if err == nil || !strings.Contains(err.Error(), `b.yml:2: playbook id "contain-agent" is already defined at `+filepath.Join(dir, "a.yaml")+":2") {
		t.Errorf("duplicate id across files: %v", err)
	}
	_, err = responder.LoadPlaybooks([]string{filepath.Join(dir, "missing")}, false)
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing path: %v", err)
	}
}

// FuzzParsePlaybooks feeds the loader arbitrary bytes: it never panics, and
// what it accepts holds its invariants.
func FuzzParsePlaybooks(f *testing.F) {
	for _, name := range []string{"good.yaml", "bad-values.bad.yaml", "duplicate-id.bad.yaml", "syntax.bad.yaml", "unknown-field.bad.yaml", "wrong-type.bad.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "playbooks", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("playbooks: [{id: a, steps: [{id: s, action: notify, params: {x: [1, 2]}}]}]"))
	f.Add([]byte("playbooks:\n  - &a {id: a, steps: [{id: s, action: notify}]}\n  - *a\n"))
	f.Add([]byte("---\nplaybooks: []\n---\nplaybooks: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pbs, err := responder.ParsePlaybooks("fuzz.yaml", data)
		if err != nil {
			if pbs != nil {
				t.Fatal("playbooks returned with an error")
			}
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		ids := map[string]bool{}
		for _, pb := range pbs {
			if pb.ID == "" || ids[pb.ID] || len(pb.Steps) == 0 {
				t.Fatalf("accepted playbook breaks invariants: %+v", pb)
			}
			ids[pb.ID] = true
			for _, st := range pb.Steps {
				if st.ID == "" || !st.Action.Valid() || st.Timeout < 0 || st.Retries < -1 {
					t.Fatalf("accepted step breaks invariants: %+v", st)
				}
			}
		}
		if _, err := responder.NewPlaybookSet(pbs); err != nil {
			t.Fatalf("accepted playbooks do not make a set: %v", err)
		}
	})
}
