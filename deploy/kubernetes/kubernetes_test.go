package kubernetes_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/aitdr/aitdr/baseline"
	"github.com/aitdr/aitdr/enrich"
	ingeststage "github.com/aitdr/aitdr/ingest/stage"
	"github.com/aitdr/aitdr/internal/aitdrtest"
	"github.com/aitdr/aitdr/internal/config"
	"github.com/aitdr/aitdr/responder"
	rulestage "github.com/aitdr/aitdr/rules/stage"
	"github.com/aitdr/aitdr/schemas"
)

var update = flag.Bool("update", false, "rewrite clickhouse/schema.sql from aitdr clickhouse ddl")

// bin is the aitdr binary built as the image builds it.
var bin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "aitdr-kubernetes-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin, err = aitdrtest.Build(context.Background(), dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var overlays = []string{"small", "production"}

// The objects of the manifests, as far as the tests read them.
type (
	object struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metadata          `json:"metadata"`
		Spec       json.RawMessage   `json:"spec"`
		Data       map[string]string `json:"data"`
	}
	metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	}
	workloadSpec struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Template struct {
			Metadata metadata `json:"metadata"`
			Spec     podSpec  `json:"spec"`
		} `json:"template"`
	}
	podSpec struct {
		Containers      []container `json:"containers"`
		Volumes         []volume    `json:"volumes"`
		SecurityContext struct {
			RunAsNonRoot bool `json:"runAsNonRoot"`
		} `json:"securityContext"`
		ServiceAccountName string `json:"serviceAccountName"`
	}
	container struct {
		Name    string   `json:"name"`
		Image   string   `json:"image"`
		Command []string `json:"command"`
		Args    []string `json:"args"`
		Env     []struct {
			Name      string `json:"name"`
			Value     string `json:"value"`
			ValueFrom *struct {
				SecretKeyRef    *keyRef `json:"secretKeyRef"`
				ConfigMapKeyRef *keyRef `json:"configMapKeyRef"`
			} `json:"valueFrom"`
		} `json:"env"`
		EnvFrom []struct {
			ConfigMapRef *struct {
				Name string `json:"name"`
			} `json:"configMapRef"`
			SecretRef *struct {
				Name string `json:"name"`
			} `json:"secretRef"`
		} `json:"envFrom"`
		Ports          []containerPort `json:"ports"`
		StartupProbe   *probe          `json:"startupProbe"`
		LivenessProbe  *probe          `json:"livenessProbe"`
		ReadinessProbe *probe          `json:"readinessProbe"`
		Resources      struct {
			Requests map[string]string `json:"requests"`
			Limits   map[string]string `json:"limits"`
		} `json:"resources"`
		SecurityContext struct {
			ReadOnlyRootFilesystem   bool  `json:"readOnlyRootFilesystem"`
			AllowPrivilegeEscalation *bool `json:"allowPrivilegeEscalation"`
		} `json:"securityContext"`
		VolumeMounts []struct {
			Name      string `json:"name"`
			MountPath string `json:"mountPath"`
		} `json:"volumeMounts"`
	}
	containerPort struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
	}
	servicePort struct {
		Name       string `json:"name"`
		TargetPort any    `json:"targetPort"`
	}
	keyRef struct {
		Name string `json:"name"`
		Key  string `json:"key"`
	}
	probe struct {
		HTTPGet *struct {
			Path string `json:"path"`
			Port any    `json:"port"`
		} `json:"httpGet"`
	}
	volume struct {
		Name      string `json:"name"`
		ConfigMap *struct {
			Name string `json:"name"`
		} `json:"configMap"`
		Secret *struct {
			SecretName string `json:"secretName"`
		} `json:"secret"`
		EmptyDir *struct{} `json:"emptyDir"`
	}
)

// rendered is one overlay built by kustomize.
type rendered struct {
	overlay string
	objects []object
}

// render builds an overlay as "kubectl apply -k" (kustomize) does.
func render(t *testing.T, dir string) rendered {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	r := rendered{overlay: dir}
	for _, res := range m.Resources() {
		fields, err := res.Map()
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		var o object
		if err := json.Unmarshal(js, &o); err != nil {
			t.Fatalf("%s %s: %v", res.GetKind(), res.GetName(), err)
		}
		r.objects = append(r.objects, o)
	}
	return r
}

func renderOverlays(t *testing.T) []rendered {
	t.Helper()
	var out []rendered
	for _, o := range overlays {
		out = append(out, render(t, filepath.Join("overlays", o)))
	}
	return out
}

func (r rendered) all(kind string) []object {
	var out []object
	for _, o := range r.objects {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

func (r rendered) get(kind, name string) (object, bool) {
	for _, o := range r.objects {
		if o.Kind == kind && o.Metadata.Name == name {
			return o, true
		}
	}
	return object{}, false
}

func spec[T any](t *testing.T, o object) T {
	t.Helper()
	var s T
	if err := json.Unmarshal(o.Spec, &s); err != nil {
		t.Fatalf("%s %s spec: %v", o.Kind, o.Metadata.Name, err)
	}
	return s
}

// secretValue returns a Secret's decoded value of key.
func (r rendered) secretValue(name, key string) (string, bool) {
	s, ok := r.get("Secret", name)
	if !ok {
		return "", false
	}
	enc, ok := s.Data[key]
	if !ok {
		return "", false
	}
	v, err := base64.StdEncoding.DecodeString(enc)
	return string(v), err == nil
}

// workload is a Deployment or Job with its pod.
type workload struct {
	object
	spec workloadSpec
}

func (r rendered) workloads(t *testing.T) []workload {
	t.Helper()
	var out []workload
	for _, kind := range []string{"Deployment", "Job"} {
		for _, o := range r.all(kind) {
			out = append(out, workload{o, spec[workloadSpec](t, o)})
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no workloads", r.overlay)
	}
	return out
}

// env resolves a container's environment from its literal values, the
// ConfigMaps and Secrets it names, failing on a reference to nothing.
func (r rendered) env(t *testing.T, c container) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm, ok := r.get("ConfigMap", ef.ConfigMapRef.Name)
			if !ok {
				t.Errorf("%s: envFrom ConfigMap %s does not exist", c.Name, ef.ConfigMapRef.Name)
				continue
			}
			for k, v := range cm.Data {
				out[k] = v
			}
		case ef.SecretRef != nil:
			s, ok := r.get("Secret", ef.SecretRef.Name)
			if !ok {
				t.Errorf("%s: envFrom Secret %s does not exist", c.Name, ef.SecretRef.Name)
				continue
			}
			for k := range s.Data {
				out[k], _ = r.secretValue(ef.SecretRef.Name, k)
			}
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			out[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			v, ok := r.secretValue(ref.Name, ref.Key)
			if !ok {
				t.Errorf("%s: %s names key %s of Secret %s, which does not exist", c.Name, e.Name, ref.Key, ref.Name)
			}
			out[e.Name] = v
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			cm, ok := r.get("ConfigMap", ref.Name)
			v, has := cm.Data[ref.Key]
			if !ok || !has {
				t.Errorf("%s: %s names key %s of ConfigMap %s, which does not exist", c.Name, e.Name, ref.Key, ref.Name)
			}
			out[e.Name] = v
		}
	}
	return out
}

// mountedFile returns the content of the file a container sees at path,
// from the ConfigMap mounted above it.
func (r rendered) mountedFile(w workload, c container, path string) (string, bool) {
	dir, name := filepath.Split(path)
	files := r.mountedDir(w, c, filepath.Clean(dir))
	v, ok := files[name]
	return v, ok
}

// mountedDir returns the files of the ConfigMap a container has mounted at
// dir, or nil.
func (r rendered) mountedDir(w workload, c container, dir string) map[string]string {
	for _, m := range c.VolumeMounts {
		if filepath.Clean(m.MountPath) != dir {
			continue
		}
		for _, v := range w.spec.Template.Spec.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil {
				cm, _ := r.get("ConfigMap", v.ConfigMap.Name)
				return cm.Data
			}
		}
	}
	return nil
}

// stageNeeds is every command the deployment runs, with the engines it needs
// configured and the name of its Kafka consumer group's stage and input topic
// ("" for none).
var stageNeeds = map[string]struct {
	kafka, nats, clickhouse bool
	stage, topic            string
}{
	"provision":    {kafka: true, nats: true, clickhouse: true},
	"ingest serve": {kafka: true},
	"ingest stage": {kafka: true, stage: ingeststage.Name, topic: schemas.TopicRaw},
	"enrich":       {kafka: true, stage: enrich.Name, topic: schemas.TopicEvents},
	"baseline":     {kafka: true, clickhouse: true, stage: baseline.Name, topic: schemas.TopicEnriched},
	"rules serve":  {kafka: true, nats: true, stage: rulestage.Name, topic: schemas.TopicScored},
	"respond":      {nats: true, clickhouse: true},
	"sink":         {kafka: true, clickhouse: true, stage: "sink"},
}

func commandPath(args []string) string {
	var words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// loadConfig checks the configuration a container gets (the file at
// AITDR_CONFIG in its mounted ConfigMap, with its environment) as "aitdr
// config check" does, and returns it.
func (r rendered) loadConfig(t *testing.T, w workload, c container) (config.Config, map[string]string) {
	t.Helper()
	env := r.env(t, c)
	path := env["AITDR_CONFIG"]
	if path == "" {
		t.Fatalf("%s: AITDR_CONFIG is not set", c.Name)
	}
	text, ok := r.mountedFile(w, c, path)
	if !ok {
		t.Fatalf("%s: no ConfigMap mounted holds %s", c.Name, path)
	}
	file := filepath.Join(t.TempDir(), "aitdr.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("%s: aitdr config check with the container's environment: %v", c.Name, err)
	}
	return cfg, env
}

// Every overlay renders, and every object has its kind, name and namespace.
func TestOverlaysRender(t *testing.T) {
	for _, r := range renderOverlays(t) {
		kinds := map[string]int{}
		for _, o := range r.objects {
			kinds[o.Kind]++
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s: an object without apiVersion, kind or name: %+v", r.overlay, o.Metadata)
			}
			if o.Kind != "Namespace" && o.Metadata.Namespace != "aitdr" {
				t.Errorf("%s: %s %s is in namespace %q", r.overlay, o.Kind, o.Metadata.Name, o.Metadata.Namespace)
			}
		}
		for kind, want := range map[string]int{
			"Deployment": 7, "Job": 1, "ScaledObject": 6, "HorizontalPodAutoscaler": 1, "TriggerAuthentication": 1,
			"PodDisruptionBudget": 7, "ServiceMonitor": 1, "Service": 3, "ConfigMap": 4, "Secret": 1,
			"Namespace": 1, "ServiceAccount": 1,
		} {
			if kinds[kind] != want {
				t.Errorf("%s: %d %s objects, want %d", r.overlay, kinds[kind], kind, want)
			}
		}
		if kinds["NetworkPolicy"] < 2 {
			t.Errorf("%s: %d NetworkPolicies", r.overlay, kinds["NetworkPolicy"])
		}
	}
}

// Every Deployment and the Job run a real aitdr subcommand of the one
// image, select their own pods, refer only to ConfigMaps, Secrets and keys
// that exist, run as non-root on a read-only file system with requests and
// limits, and get a configuration that passes "aitdr config check" and
// names what the command needs; each Deployment is probed on /healthz and
// /readyz of the telemetry port the configuration listens on.
func TestWorkloads(t *testing.T) {
	for _, r := range renderOverlays(t) {
		ran := map[string]bool{}
		images := map[string]bool{}
		for _, w := range r.workloads(t) {
			t.Run(r.overlay+"/"+w.Metadata.Name, func(t *testing.T) {
				pod := w.spec.Template.Spec
				if w.Kind == "Deployment" {
					if len(w.spec.Selector.MatchLabels) == 0 {
						t.Error("no selector")
					}
					for k, v := range w.spec.Selector.MatchLabels {
						if w.spec.Template.Metadata.Labels[k] != v {
							t.Errorf("selector %s=%s does not select the pod template", k, v)
						}
					}
				}
				if !pod.SecurityContext.RunAsNonRoot {
					t.Error("pod may run as root")
				}
				if pod.ServiceAccountName != "" {
					if _, ok := r.get("ServiceAccount", pod.ServiceAccountName); !ok {
						t.Errorf("service account %s does not exist", pod.ServiceAccountName)
					}
				}
				for _, v := range pod.Volumes {
					if v.ConfigMap != nil {
						if _, ok := r.get("ConfigMap", v.ConfigMap.Name); !ok {
							t.Errorf("volume %s: ConfigMap %s does not exist", v.Name, v.ConfigMap.Name)
						}
					}
					if v.Secret != nil {
						if _, ok := r.get("Secret", v.Secret.SecretName); !ok {
							t.Errorf("volume %s: Secret %s does not exist", v.Name, v.Secret.SecretName)
						}
					}
				}
				if len(pod.Containers) != 1 {
					t.Fatalf("%d containers, want 1", len(pod.Containers))
				}
				c := pod.Containers[0]
				images[c.Image] = true
				if len(c.Command) > 0 {
					t.Errorf("command %q overrides the image's entrypoint", c.Command)
				}
				if err := aitdrtest.CheckCommand(context.Background(), bin, c.Args); err != nil {
					t.Errorf("args %q: %v", c.Args, err)
				}
				cmd := commandPath(c.Args)
				needs, ok := stageNeeds[cmd]
				if !ok {
					t.Fatalf("aitdr %s is not a command of the deployment", cmd)
				}
				ran[cmd] = true
				if !c.SecurityContext.ReadOnlyRootFilesystem || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
					t.Error("writable root file system or privilege escalation allowed")
				}
				for _, res := range []string{"cpu", "memory"} {
					if c.Resources.Requests[res] == "" || c.Resources.Limits[res] == "" {
						t.Errorf("no %s request and limit", res)
					}
				}
				cfg, env := r.loadConfig(t, w, c)
				if needs.kafka && len(cfg.Kafka.Brokers) == 0 {
					t.Error("kafka.brokers is empty")
				}
				if needs.nats && cfg.NATS.URL == "" {
					t.Error("nats.url is empty")
				}
				if needs.clickhouse && cfg.ClickHouse.DSN == "" {
					t.Error("clickhouse.dsn is empty")
				}
				switch cmd {
				case "ingest serve":
					if len(env[cfg.Ingest.HTTP.Auth.TokensEnv]) < 16 {
						t.Errorf("the HTTP input's tokens (%s) are not in the environment", cfg.Ingest.HTTP.Auth.TokensEnv)
					}
				case "respond":
					for analyst, tok := range cfg.Respond.HTTP.Tokens {
						if tok.Env != "" && env[tok.Env] == "" {
							t.Errorf("respond.http.tokens.%s names %s, which the container does not get", analyst, tok.Env)
						}
					}
				}
				if soft, err := parseQuantity(env["GOMEMLIMIT"]); w.Kind == "Deployment" && (err != nil || soft >= mustQuantity(t, c.Resources.Limits["memory"])) {
					t.Errorf("GOMEMLIMIT %q is not below the memory limit %s", env["GOMEMLIMIT"], c.Resources.Limits["memory"])
				}
				if w.Kind != "Deployment" {
					return
				}
				_, port, err := net.SplitHostPort(cfg.Telemetry.Listen)
				if err != nil {
					t.Fatalf("telemetry.listen %q: %v", cfg.Telemetry.Listen, err)
				}
				telemetryPort := ""
				for _, p := range c.Ports {
					if p.Name == "telemetry" {
						telemetryPort = strconv.Itoa(p.ContainerPort)
					}
				}
				if telemetryPort != port {
					t.Errorf("container port telemetry is %q, the configuration listens on %s", telemetryPort, port)
				}
				for _, p := range []struct {
					name string
					pr   *probe
					path string
				}{{"startup", c.StartupProbe, "/healthz"}, {"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
					if p.pr == nil || p.pr.HTTPGet == nil {
						t.Errorf("no %s probe over HTTP", p.name)
					} else if g := p.pr.HTTPGet; g.Path != p.path || g.Port != "telemetry" {
						t.Errorf("%s probe is GET %s on port %v, want %s on the telemetry port", p.name, g.Path, g.Port, p.path)
					}
				}
			})
		}
		for cmd := range stageNeeds {
			if !ran[cmd] {
				t.Errorf("%s: nothing runs aitdr %s", r.overlay, cmd)
			}
		}
		if len(images) != 1 {
			t.Errorf("%s: the workloads run %d images, want the one aitdr image: %v", r.overlay, len(images), images)
		}
	}
}

// parseQuantity parses the binary-suffixed sizes the manifests use
// (Kubernetes' Mi and Gi, Go's MiB and GiB) into bytes.
func parseQuantity(s string) (int64, error) {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			return n * u.mult, err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

func mustQuantity(t *testing.T, s string) int64 {
	t.Helper()
	n, err := parseQuantity(s)
	if err != nil {
		t.Fatalf("quantity %q: %v", s, err)
	}
	return n
}

// The rules ConfigMap mounted at rules.paths passes "aitdr rules lint" and
// "aitdr rules test" with the pack; the playbooks ConfigMap mounted where
// respond.playbooks point loads over the default set. Both keep a fixed name
// (a change is applied in place and hot-reloaded, no rollout), while the
// configuration's name carries its hash (a change rolls the pods).
func TestRulesAndPlaybooks(t *testing.T) {
	for _, r := range renderOverlays(t) {
		var sawRules, sawPlaybooks bool
		for _, w := range r.workloads(t) {
			c := w.spec.Template.Spec.Containers[0]
			switch commandPath(c.Args) {
			case "rules serve":
				cfg, _ := r.loadConfig(t, w, c)
				for _, path := range cfg.Rules.Paths {
					files := r.mountedDir(w, c, path)
					if len(files) == 0 {
						t.Fatalf("%s: rules.paths %s is no mounted ConfigMap", r.overlay, path)
					}
					dir := t.TempDir()
					for name, text := range files {
						if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
							t.Fatal(err)
						}
					}
					for _, verb := range []string{"lint", "test"} {
						args := []string{"rules", verb, dir}
						if cfg.Rules.Pack {
							args = append(args, "--pack")
						}
						if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
							t.Errorf("%s: aitdr rules %s of the mounted rules: %v\n%s", r.overlay, verb, err, out)
						}
					}
					sawRules = true
				}
			case "respond":
				cfg, _ := r.loadConfig(t, w, c)
				dir := t.TempDir()
				var files []string
				for _, path := range cfg.Respond.Playbooks {
					text, ok := r.mountedFile(w, c, path)
					if !ok {
						t.Fatalf("%s: respond.playbooks %s is in no mounted ConfigMap", r.overlay, path)
					}
					file := filepath.Join(dir, filepath.Base(path))
					if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
						t.Fatal(err)
					}
					files = append(files, file)
				}
				if _, err := responder.LoadPlaybooks(files, cfg.Respond.DefaultPlaybooks); err != nil {
					t.Errorf("%s: mounted playbooks: %v", r.overlay, err)
				}
				sawPlaybooks = len(files) > 0
			}
		}
		if !sawRules || !sawPlaybooks {
			t.Errorf("%s: no deployment rules (%v) or playbooks (%v) mounted", r.overlay, sawRules, sawPlaybooks)
		}
		for _, name := range []string{"aitdr-rules", "aitdr-playbooks"} {
			if _, ok := r.get("ConfigMap", name); !ok {
				t.Errorf("%s: ConfigMap %s is not under its fixed name, so edits would roll the pods", r.overlay, name)
			}
		}
		if _, ok := r.get("ConfigMap", "aitdr-config"); ok {
			t.Errorf("%s: the configuration's ConfigMap has no content hash in its name, so edits would not roll the pods", r.overlay)
		}
	}
}

// scaledObject is the part of a KEDA ScaledObject the tests read.
type scaledObject struct {
	ScaleTargetRef struct {
		Name string `json:"name"`
	} `json:"scaleTargetRef"`
	MinReplicaCount int `json:"minReplicaCount"`
	MaxReplicaCount int `json:"maxReplicaCount"`
	Triggers        []struct {
		Type              string            `json:"type"`
		Metadata          map[string]string `json:"metadata"`
		AuthenticationRef *struct {
			Name string `json:"name"`
		} `json:"authenticationRef"`
	} `json:"triggers"`
}

// Every Kafka stage scales on its own consumer group's lag over its input
// topic, up to as many replicas as the topics have partitions; the
// responder scales on its JetStream consumer; the HTTP input on CPU. The
// scalers' credentials and brokers come from Secrets and ConfigMaps that
// exist.
func TestScaling(t *testing.T) {
	for _, r := range renderOverlays(t) {
		scaled := map[string]scaledObject{}
		for _, o := range r.all("ScaledObject") {
			s := spec[scaledObject](t, o)
			scaled[s.ScaleTargetRef.Name] = s
		}
		for _, w := range r.workloads(t) {
			if w.Kind != "Deployment" {
				continue
			}
			c := w.spec.Template.Spec.Containers[0]
			cmd := commandPath(c.Args)
			needs := stageNeeds[cmd]
			cfg, env := r.loadConfig(t, w, c)
			s, ok := scaled[w.Metadata.Name]
			switch {
			case needs.stage != "":
				if !ok || len(s.Triggers) != 1 || s.Triggers[0].Type != "kafka" {
					t.Errorf("%s: %s does not scale on Kafka lag", r.overlay, w.Metadata.Name)
					continue
				}
				md := s.Triggers[0].Metadata
				if want := cfg.Kafka.Topics.Prefix + "aitdr-" + needs.stage; md["consumerGroup"] != want {
					t.Errorf("%s: %s scales on group %q, the stage's is %q", r.overlay, w.Metadata.Name, md["consumerGroup"], want)
				}
				if needs.topic != "" && md["topic"] != cfg.Kafka.Topics.Prefix+needs.topic {
					t.Errorf("%s: %s scales on topic %q, the stage reads %q", r.overlay, w.Metadata.Name, md["topic"], needs.topic)
				}
				if v := md["bootstrapServersFromEnv"]; v == "" || env[v] != strings.Join(cfg.Kafka.Brokers, ",") {
					t.Errorf("%s: %s: the scaler's brokers (from %q) are not the stage's", r.overlay, w.Metadata.Name, v)
				}
				if s.MaxReplicaCount != int(cfg.Kafka.Topics.Partitions) {
					t.Errorf("%s: %s scales to %d replicas, the topics have %d partitions", r.overlay, w.Metadata.Name, s.MaxReplicaCount, cfg.Kafka.Topics.Partitions)
				}
				if s.MinReplicaCount < 1 || s.MinReplicaCount > s.MaxReplicaCount {
					t.Errorf("%s: %s: minReplicaCount %d", r.overlay, w.Metadata.Name, s.MinReplicaCount)
				}
				checkTriggerAuth(t, r, s)
			case cmd == "respond":
				if !ok || len(s.Triggers) != 1 || s.Triggers[0].Type != "nats-jetstream" {
					t.Errorf("%s: the responder does not scale on its JetStream consumer", r.overlay)
					continue
				}
				md := s.Triggers[0].Metadata
				if md["stream"] != schemas.StreamAlerts || md["consumer"] != cfg.Respond.Consumer {
					t.Errorf("%s: the responder scales on %s/%s, it consumes %s/%s", r.overlay, md["stream"], md["consumer"], schemas.StreamAlerts, cfg.Respond.Consumer)
				}
				u, err := url.Parse(cfg.NATS.URL)
				host, _, _ := net.SplitHostPort(md["natsServerMonitoringEndpoint"])
				if err != nil || host != u.Hostname() {
					t.Errorf("%s: the scaler watches NATS at %q, the responder uses %q", r.overlay, md["natsServerMonitoringEndpoint"], cfg.NATS.URL)
				}
			case cmd == "ingest serve":
				found := false
				for _, o := range r.all("HorizontalPodAutoscaler") {
					h := spec[hpaSpec](t, o)
					found = found || (h.ScaleTargetRef.Kind == "Deployment" && h.ScaleTargetRef.Name == w.Metadata.Name)
				}
				if !found {
					t.Errorf("%s: no autoscaler for %s", r.overlay, w.Metadata.Name)
				}
			}
		}
	}
}

// hpaSpec is the part of a HorizontalPodAutoscaler the tests read.
type hpaSpec struct {
	ScaleTargetRef struct{ Kind, Name string } `json:"scaleTargetRef"`
}

// serviceMonitorSpec is the part of a ServiceMonitor the tests read.
type serviceMonitorSpec struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	Endpoints []struct {
		Port string `json:"port"`
		Path string `json:"path"`
	} `json:"endpoints"`
}

func checkTriggerAuth(t *testing.T, r rendered, s scaledObject) {
	t.Helper()
	ref := s.Triggers[0].AuthenticationRef
	if ref == nil {
		t.Errorf("%s: %s: the Kafka scaler has no credentials", r.overlay, s.ScaleTargetRef.Name)
		return
	}
	o, ok := r.get("TriggerAuthentication", ref.Name)
	if !ok {
		t.Errorf("%s: TriggerAuthentication %s does not exist", r.overlay, ref.Name)
		return
	}
	var ta struct {
		SecretTargetRef []struct{ Parameter, Name, Key string } `json:"secretTargetRef"`
	}
	if err := json.Unmarshal(o.Spec, &ta); err != nil {
		t.Fatal(err)
	}
	for _, st := range ta.SecretTargetRef {
		if _, ok := r.secretValue(st.Name, st.Key); !ok {
			t.Errorf("%s: TriggerAuthentication %s: key %s of Secret %s does not exist", r.overlay, ref.Name, st.Key, st.Name)
		}
	}
}

// selects reports whether a label selector selects a pod's labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// Every Deployment has a PodDisruptionBudget selecting its pods; every
// Service selects pods that have the port it targets; the ServiceMonitor
// selects the telemetry Service by its port name.
func TestDisruptionServicesAndMonitoring(t *testing.T) {
	for _, r := range renderOverlays(t) {
		type pdbSpec struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
		}
		var pdbs []pdbSpec
		for _, o := range r.all("PodDisruptionBudget") {
			pdbs = append(pdbs, spec[pdbSpec](t, o))
		}
		ws := r.workloads(t)
		for _, w := range ws {
			if w.Kind != "Deployment" {
				continue
			}
			n := 0
			for _, p := range pdbs {
				if selects(p.Selector.MatchLabels, w.spec.Template.Metadata.Labels) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s: %s is covered by %d PodDisruptionBudgets, want 1", r.overlay, w.Metadata.Name, n)
			}
		}
		type serviceSpec struct {
			Selector map[string]string `json:"selector"`
			Ports    []servicePort     `json:"ports"`
		}
		services := map[string]serviceSpec{}
		for _, o := range r.all("Service") {
			s := spec[serviceSpec](t, o)
			services[o.Metadata.Name] = s
			matched := 0
			for _, w := range ws {
				if w.Kind != "Deployment" || !selects(s.Selector, w.spec.Template.Metadata.Labels) {
					continue
				}
				matched++
				for _, p := range s.Ports {
					if !slices.ContainsFunc(w.spec.Template.Spec.Containers[0].Ports, func(cp containerPort) bool {
						return cp.Name == p.TargetPort
					}) {
						t.Errorf("%s: Service %s targets port %v, which %s lacks", r.overlay, o.Metadata.Name, p.TargetPort, w.Metadata.Name)
					}
				}
			}
			if matched == 0 {
				t.Errorf("%s: Service %s selects no pods", r.overlay, o.Metadata.Name)
			}
		}
		for _, o := range r.all("ServiceMonitor") {
			sm := spec[serviceMonitorSpec](t, o)
			var target string
			for _, svc := range r.all("Service") {
				if selects(sm.Selector.MatchLabels, svc.Metadata.Labels) {
					target = svc.Metadata.Name
				}
			}
			if target == "" {
				t.Errorf("%s: ServiceMonitor %s selects no Service", r.overlay, o.Metadata.Name)
				continue
			}
			for _, e := range sm.Endpoints {
				if !slices.ContainsFunc(services[target].Ports, func(p servicePort) bool { return p.Name == e.Port }) || e.Path != "/metrics" {
					t.Errorf("%s: ServiceMonitor scrapes %s%s, which Service %s does not serve", r.overlay, e.Port, e.Path, target)
				}
			}
		}
	}
}

// Every NetworkPolicy selects some pod and names ports those pods have;
// the egress the policies allow reaches the brokers, NATS and ClickHouse
// at the ports the configuration names.
func TestNetworkPolicies(t *testing.T) {
	type policyPort struct {
		Protocol string `json:"protocol"`
		Port     any    `json:"port"`
	}
	type policySpec struct {
		PodSelector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"podSelector"`
		Ingress []struct {
			Ports []policyPort `json:"ports"`
		} `json:"ingress"`
		Egress []struct {
			Ports []policyPort `json:"ports"`
		} `json:"egress"`
	}
	for _, r := range renderOverlays(t) {
		ws := r.workloads(t)
		egress := map[string]bool{}
		for _, o := range r.all("NetworkPolicy") {
			p := spec[policySpec](t, o)
			var pods []workload
			for _, w := range ws {
				if selects(p.PodSelector.MatchLabels, w.spec.Template.Metadata.Labels) {
					pods = append(pods, w)
				}
			}
			if len(pods) == 0 {
				t.Errorf("%s: NetworkPolicy %s selects no pod", r.overlay, o.Metadata.Name)
			}
			for _, in := range p.Ingress {
				for _, port := range in.Ports {
					name, isName := port.Port.(string)
					for _, w := range pods {
						if !isName || w.Kind != "Deployment" {
							continue
						}
						has := false
						for _, cp := range w.spec.Template.Spec.Containers[0].Ports {
							has = has || cp.Name == name
						}
						if !has {
							t.Errorf("%s: NetworkPolicy %s opens port %s, which %s lacks", r.overlay, o.Metadata.Name, name, w.Metadata.Name)
						}
					}
				}
			}
			if selects(p.PodSelector.MatchLabels, map[string]string{"app.kubernetes.io/part-of": "aitdr"}) {
				for _, e := range p.Egress {
					for _, port := range e.Ports {
						egress[fmt.Sprint(port.Port)] = true
					}
				}
			}
		}
		for _, w := range ws {
			c := w.spec.Template.Spec.Containers[0]
			cfg, _ := r.loadConfig(t, w, c)
			var ports []string
			for _, b := range cfg.Kafka.Brokers {
				_, port, _ := net.SplitHostPort(b)
				ports = append(ports, port)
			}
			if u, err := url.Parse(cfg.NATS.URL); err == nil && cfg.NATS.URL != "" {
				ports = append(ports, u.Port())
			}
			if u, err := url.Parse(cfg.ClickHouse.DSN); err == nil && cfg.ClickHouse.DSN != "" {
				ports = append(ports, u.Port())
			}
			for _, port := range ports {
				if !egress[port] {
					t.Errorf("%s: %s must reach port %s, which no egress policy allows", r.overlay, w.Metadata.Name, port)
				}
			}
		}
	}
}

// clickhouse/schema.sql is what "aitdr clickhouse ddl --cluster aitdr"
// prints for the migrations of this build (go test -update rewrites it),
// for the cluster the configuration names and clickhouse/cluster.xml
// declares with 2 shards of 2 replicas.
func TestClickHouseClusterDDL(t *testing.T) {
	// The credentials come from the Secret; any user name validates.
	cfg, err := config.Load(filepath.Join("base", "config", "aitdr.yaml"), func(k string) (string, bool) {
		return "aitdr", k == "AITDR_KAFKA_SASL_USERNAME"
	})
	if err != nil {
		t.Fatal(err)
	}
	cluster := cfg.ClickHouse.Schema.Cluster
	if cluster == "" {
		t.Fatal("the configuration lays the schema out on no cluster")
	}
	cmd := exec.Command(bin, "clickhouse", "ddl", "--cluster", cluster)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + os.TempDir()}
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("aitdr clickhouse ddl: %v", err)
	}
	const file = "clickhouse/schema.sql"
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from aitdr clickhouse ddl --cluster %s: a migration changed; review and run go test ./deploy/kubernetes -update", file, cluster)
	}
	for _, s := range []string{"ON CLUSTER '" + cluster + "'", "ENGINE = Distributed('" + cluster + "'", "ReplicatedReplacingMergeTree("} {
		if !strings.Contains(string(got), s) {
			t.Errorf("the cluster DDL lacks %q", s)
		}
	}

	data, err := os.ReadFile("clickhouse/cluster.xml")
	if err != nil {
		t.Fatal(err)
	}
	var x struct {
		RemoteServers struct {
			Clusters []struct {
				XMLName xml.Name
				Shards  []struct {
					Replicas []struct {
						Host string `xml:"host"`
					} `xml:"replica"`
				} `xml:"shard"`
			} `xml:",any"`
		} `xml:"remote_servers"`
	}
	if err := xml.Unmarshal(data, &x); err != nil {
		t.Fatalf("cluster.xml: %v", err)
	}
	found := false
	for _, c := range x.RemoteServers.Clusters {
		if c.XMLName.Local != cluster {
			continue
		}
		found = true
		if len(c.Shards) != 2 {
			t.Errorf("cluster %s has %d shards, want 2", cluster, len(c.Shards))
		}
		for i, s := range c.Shards {
			if len(s.Replicas) != 2 {
				t.Errorf("shard %d has %d replicas, want 2", i, len(s.Replicas))
			}
		}
	}
	if !found {
		t.Errorf("cluster.xml declares no cluster %s", cluster)
	}
}
