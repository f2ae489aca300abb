package kubernetes_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/grants/kubernetes"
	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

func parseFixture(t *testing.T) *snapshot.Snapshot {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !kubernetes.Detect(data) {
		t.Fatal("the fixture is not detected as RBAC")
	}
	s, err := kubernetes.NewParser(kubernetes.WithCluster("ml-prod")).Parse("rbac.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBindings shows each subject getting the rules of the role its
// binding names, in the binding's namespace, with resource names narrowing
// the resource and wildcards expanded against the built-in resources.
func TestBindings(t *testing.T) {
	s := parseFixture(t)
	grants := map[string][]string{}
	for _, g := range s.Grants {
		grants[g.IdentityID] = append(grants[g.IdentityID], g.Permission+" on "+g.Resource)
	}
	pusher := "kubernetes:ml-prod:system:serviceaccount:ml-serving:prod-model-pusher"
	want := []string{
		"seldondeployments.machinelearning.seldon.io:create on namespaces/ml-serving",
		"seldondeployments.machinelearning.seldon.io:delete on namespaces/ml-serving",
		"seldondeployments.machinelearning.seldon.io:deletecollection on namespaces/ml-serving",
		"seldondeployments.machinelearning.seldon.io:get on namespaces/ml-serving",
		"seldondeployments.machinelearning.seldon.io:list on namespaces/ml-serving",
		"seldondeployments.machinelearning.seldon.io:patch on namespaces/ml-serving",
		"seldondeployments.machinelearning.seldon.io:update on namespaces/ml-serving",
		"seldondeployments.machinelearning.seldon.io:watch on namespaces/ml-serving",
		"secrets:get on namespaces/ml-serving/openai-api-key",
	}
	slices.Sort(want)
	if !slices.Equal(grants[pusher], want) {
		t.Errorf("pusher:\n%s", strings.Join(grants[pusher], "\n"))
	}
	trainer := "kubernetes:ml-prod:system:serviceaccount:ml-train:trainer"
	wantTrainer := []string{
		"/healthz:get on namespaces/ml-train",
		"configmaps:create on namespaces/ml-train", "configmaps:get on namespaces/ml-train", "configmaps:list on namespaces/ml-train",
		"jobs.batch:create on namespaces/ml-train", "jobs.batch:get on namespaces/ml-train", "jobs.batch:list on namespaces/ml-train",
		"pods:create on namespaces/ml-train", "pods:get on namespaces/ml-train", "pods:list on namespaces/ml-train",
		"secrets:create on namespaces/ml-train", "secrets:delete on namespaces/ml-train", "secrets:deletecollection on namespaces/ml-train",
		"secrets:get on namespaces/ml-train", "secrets:list on namespaces/ml-train", "secrets:patch on namespaces/ml-train",
		"secrets:update on namespaces/ml-train", "secrets:watch on namespaces/ml-train",
	}
	slices.Sort(wantTrainer)
	if !slices.Equal(grants[trainer], wantTrainer) {
		t.Errorf("trainer:\n%s", strings.Join(grants[trainer], "\n"))
	}
	alice := "kubernetes:ml-prod:alice@acme.example"
	if n := len(grants[alice]); n < 400 {
		t.Errorf("cluster-admin expands to %d grants", n)
	}
	for _, g := range s.Grants {
		if g.IdentityID == alice && g.Permission == "secrets:get" {
			if g.Resource != "*" || g.Sensitive != snapshot.SensitiveSecret || g.GrantedVia != "binding/alice-admin" ||
				g.Policy != "clusterRole/cluster-admin" || g.GrantedAs != "apiGroups=* resources=* verbs=*" {
				t.Errorf("alice's secrets:get %+v", g)
			}
		}
		if g.IdentityID == alice && g.Permission == "clusterrolebindings.rbac.authorization.k8s.io:create" && g.Sensitive != snapshot.SensitiveIAM {
			t.Errorf("clusterrolebindings create is %q", g.Sensitive)
		}
	}
	kserve := "kubernetes:ml-prod:system:serviceaccount:kserve:kserve-controller"
	if want := []string{"inferenceservices.serving.kserve.io:get on *", "inferenceservices.serving.kserve.io:patch on *"}; !slices.Equal(grants[kserve], want) {
		t.Errorf("kserve: %v", grants[kserve])
	}
	if s.Unattributed != 1 {
		t.Errorf("unattributed %d, want the group", s.Unattributed)
	}
	var problems []string
	for _, p := range s.Problems {
		problems = append(problems, p.Error())
	}
	wantProblems := []string{
		`rbac.yaml: document 6 (line 63): RoleBinding ghost refers to Role "does-not-exist", which is not in the file; skipped`,
		`rbac.yaml: document 7 (line 70): subjects[1]: subject kind "Robot" is not User, Group or ServiceAccount; skipped`,
	}
	if !slices.Equal(problems, wantProblems) {
		t.Errorf("problems:\n%s", strings.Join(problems, "\n"))
	}
	var unknown []string
	for _, u := range s.Unknown {
		unknown = append(unknown, u.What)
	}
	if want := []string{"batch/configmaps", "batch/pods", "core/jobs", "serving.kserve.io/*"}; !slices.Equal(unknown, want) {
		t.Errorf("unknown %v", s.Unknown)
	}
	if s.Scope != "kubernetes:ml-prod" {
		t.Errorf("scope %q", s.Scope)
	}
}

func TestPermissionNames(t *testing.T) {
	for _, c := range []struct{ group, resource, verb, perm string }{
		{"", "secrets", "get", "secrets:get"},
		{"apps", "deployments", "update", "deployments.apps:update"},
		{"", "pods/exec", "create", "pods/exec:create"},
		{"apps", "deployments/scale", "patch", "deployments.apps/scale:patch"},
		{"", "/healthz", "get", "/healthz:get"},
	} {
		if got := kubernetes.Permission(c.group, c.resource, c.verb); got != c.perm {
			t.Errorf("Permission(%q, %q, %q) = %q", c.group, c.resource, c.verb, got)
		}
		g, r, v := kubernetes.SplitPermission(c.perm)
		if g != c.group || r != c.resource || v != c.verb {
			t.Errorf("SplitPermission(%q) = %q %q %q", c.perm, g, r, v)
		}
	}
}

func TestBadYAML(t *testing.T) {
	_, err := kubernetes.NewParser().Parse("bad.yaml", []byte("kind: Role\nrules: [\n"))
	if err == nil || !strings.Contains(err.Error(), "bad.yaml") {
		t.Fatalf("err %v", err)
	}
	s, err := kubernetes.NewParser().Parse("x.yaml", []byte("kind: RoleBinding\nmetadata: {name: a}\nsubjects: 7\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0].Path, "document 1 (line 1)") {
		t.Fatalf("problems %v", s.Problems)
	}
}

func FuzzParse(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "rbac.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"kind":"List","items":[{"kind":"ClusterRoleBinding","roleRef":{"kind":"ClusterRole","name":"x"},"subjects":[{"kind":"User","name":"u"}]},{"kind":"ClusterRole","metadata":{"name":"x"},"rules":[{"apiGroups":["*"],"resources":["pods"],"verbs":["*"]}]}]}`))
	p := kubernetes.NewParser()
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := p.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, g := range s.Grants {
			if !strings.HasPrefix(g.IdentityID, "kubernetes:default:") || !strings.Contains(g.Permission, ":") {
				t.Fatalf("bad grant %+v", g)
			}
		}
	})
}
