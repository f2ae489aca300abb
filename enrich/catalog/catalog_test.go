package catalog_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/enrich/catalog"
	"github.com/aitdr/aitdr/enrich/internal/filefmt"
	"github.com/aitdr/aitdr/ingest/aiapps"
)

func shipped(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(catalog.Config{})
	if err != nil {
		t.Fatalf("shipped catalog: %v", err)
	}
	return c
}

// TestShippedCatalog shows the shipped catalog loads (so it is well formed
// and claims no key twice), is versioned, and covers at least 40 services
// of every kind, each recognizable by something.
func TestShippedCatalog(t *testing.T) {
	c := shipped(t)
	if c.Version() == "" {
		t.Error("shipped catalog has no version")
	}
	services := c.Services()
	if len(services) < 40 {
		t.Errorf("shipped catalog has %d services, want at least 40", len(services))
	}
	kinds := map[catalog.Kind]int{}
	ids := map[string]bool{}
	for _, s := range services {
		kinds[s.Kind]++
		if ids[s.ID] {
			t.Errorf("service %q listed twice", s.ID)
		}
		ids[s.ID] = true
		if s.Provider == "" || s.Name == "" {
			t.Errorf("service %q lacks a provider or name", s.ID)
		}
		if len(s.AI)+len(s.Apps)+len(s.Hosts)+len(s.Actions) == 0 {
			t.Errorf("service %q cannot be recognized", s.ID)
		}
		if s.File != catalog.ShippedName || s.Line == 0 {
			t.Errorf("service %q defined at %s:%d", s.ID, s.File, s.Line)
		}
	}
	for _, k := range catalog.Kinds() {
		if kinds[k] == 0 {
			t.Errorf("no service of kind %s", k)
		}
	}
	// The file parses alone as well: Parse is what checks entries.
	if _, err := catalog.Parse("catalog.yaml", catalog.Shipped()); err != nil {
		t.Errorf("parse shipped catalog: %v", err)
	}
}

// TestLookups shows how events find their service: by audit-log action
// (exact names before patterns), AI context, host and application name.
func TestLookups(t *testing.T) {
	c := shipped(t)
	actions := []struct {
		source, name string
		service      string
		use          catalog.Use
	}{
		{"bedrock.amazonaws.com", "InvokeModel", "bedrock", catalog.UseInference},
		{"bedrock.amazonaws.com", "CreateModelCustomizationJob", "bedrock", catalog.UseBuild},
		{"bedrock.amazonaws.com", "ListFoundationModels", "bedrock", catalog.UseAdmin},
		{"sagemaker.amazonaws.com", "CreateTrainingJob", "sagemaker", catalog.UseBuild},
		{"sagemaker.amazonaws.com", "InvokeEndpoint", "sagemaker", catalog.UseInference},
		{"sagemaker.amazonaws.com", "CreatePresignedNotebookInstanceUrl", "sagemaker", catalog.UseBuild},
		{"aiplatform.googleapis.com", "google.cloud.aiplatform.v1.PredictionService.Predict", "vertex_ai", catalog.UseInference},
		{"aiplatform.googleapis.com", "google.cloud.aiplatform.ui.PipelineService.CreateTrainingPipeline", "vertex_ai", catalog.UseBuild},
		{"aiplatform.googleapis.com", "google.cloud.aiplatform.v1.ModelService.UploadModel", "vertex_ai", catalog.UseBuild},
		{"Microsoft.CognitiveServices", "Microsoft.CognitiveServices/accounts/listKeys/action", "azure_openai", catalog.UseKeys},
		{"Microsoft.MachineLearningServices", "Microsoft.MachineLearningServices/workspaces/jobs/write", "azure_ml", catalog.UseBuild},
		{"serving.kserve.io", "patch inferenceservices", "kserve", catalog.UseBuild},
		{"serving.kserve.io", "get inferenceservices", "kserve", catalog.UseAdmin},
		{"kubeflow.org", "create pytorchjobs", "kubeflow", catalog.UseBuild},
		{"copilot", "copilot.cfb_seat_assignment_created", "github_copilot", catalog.UseAdmin},
	}
	for _, a := range actions {
		m, ok := c.ByAction(a.source, a.name)
		if !ok || m.Service.ID != a.service || m.Use != a.use {
			t.Errorf("ByAction(%s, %s) = %+v, %v; want %s %s", a.source, a.name, m, ok, a.service, a.use)
		}
	}
	if m, ok := c.ByAction("s3.amazonaws.com", "GetObject"); ok {
		t.Errorf("ByAction(s3 GetObject) = %s, want no service", m.Service.ID)
	}

	ai := []struct{ provider, service, want string }{
		{"aws.bedrock", "bedrock", "bedrock"},
		{"openai", "chatgpt", "chatgpt"},
		{"openai", "platform", "openai_api"},
		{"openai", "gateway:kong-ai-prod", "openai_api"}, // the provider alone
		{"bedrock", "gateway:litellm", "bedrock"},
		{"azure", "gateway:litellm", "azure_openai"},
		{"gemini", "gateway:litellm", "gemini_api"},
		{"google", "gemini", "gemini"},
		{"google.vertex", "vertex_ai", "vertex_ai"},
		{"anthropic", "claude-code", "claude_code"},
		{"github", "copilot", "github_copilot"},
		{"", "kserve", "kserve"},
	}
	for _, a := range ai {
		s, ok := c.ByAI(a.provider, a.service)
		if !ok || s.ID != a.want {
			t.Errorf("ByAI(%q, %q) = %v, %v; want %s", a.provider, a.service, s, ok, a.want)
		}
	}
	if _, ok := c.ByAIPair("openai", "gateway:kong-ai-prod"); ok {
		t.Error("ByAIPair fell back to the provider alone")
	}

	hosts := map[string]string{
		"api.openai.com":                             "openai_api",
		"API.OpenAI.com:443":                         "openai_api",
		"bedrock-runtime.us-east-1.amazonaws.com":    "bedrock",
		"acme-eastus.openai.azure.com":               "azure_openai",
		"chatgpt.com":                                "chatgpt",
		"us-central1-aiplatform.googleapis.com":      "vertex_ai",
		"x1y2.us-east-1.endpoints.huggingface.cloud": "huggingface",
	}
	for h, want := range hosts {
		s, ok := c.ByHost(h)
		if !ok || s.ID != want {
			t.Errorf("ByHost(%q) = %v, %v; want %s", h, s, ok, want)
		}
	}
	for _, h := range []string{"s3.amazonaws.com", "bedrock-runtime.amazonaws.com.evil.example", ""} {
		if s, ok := c.ByHost(h); ok {
			t.Errorf("ByHost(%q) = %s, want none", h, s.ID)
		}
	}

	apps := map[string]string{
		"ChatGPT Enterprise":              "chatgpt",
		"chatgpt":                         "chatgpt",
		"Claude for Work":                 "claude",
		"GitHub Copilot Business":         "github_copilot",
		"Microsoft 365 Copilot":           "microsoft_copilot",
		"Azure Machine Learning Services": "azure_ml",
		"Perplexity Enterprise Pro":       "perplexity",
	}
	for name, want := range apps {
		s, ok := c.ByApp(name)
		if !ok || s.ID != want {
			t.Errorf("ByApp(%q) = %v, %v; want %s", name, s, ok, want)
		}
	}
	for _, name := range []string{"Salesforce", "Windows Azure Service Management API", "Acme Model Registry"} {
		if s, ok := c.ByApp(name); ok {
			t.Errorf("ByApp(%q) = %s, want none", name, s.ID)
		}
	}
}

// TestIngestAppNamesAgree shows the IdP sources' AI-app table and the
// catalog agree: for every app name the sources recognize, the AI context
// they set leads to the same catalog service as the app name itself.
func TestIngestAppNamesAgree(t *testing.T) {
	c := shipped(t)
	for _, name := range []string{
		"ChatGPT Enterprise", "ChatGPT", "Azure OpenAI Service", "OpenAI API", "Claude for Work",
		"GitHub Copilot Business", "Microsoft 365 Copilot", "Gemini", "NotebookLM",
		"Perplexity", "Hugging Face", "Mistral AI", "Cohere", "Cursor", "Midjourney",
	} {
		app, ok := aiapps.Lookup(name)
		if !ok {
			t.Errorf("ingest does not know %q", name)
			continue
		}
		byAI, ok := c.ByAI(app.Provider, app.Service)
		if !ok {
			t.Errorf("%q: ingest sets ai %s/%s, which the catalog does not know", name, app.Provider, app.Service)
			continue
		}
		byApp, ok := c.ByApp(name)
		if !ok {
			t.Errorf("%q: the catalog does not know the app name (ingest's ai %s/%s is %s)", name, app.Provider, app.Service, byAI.ID)
			continue
		}
		if byAI.ID != byApp.ID {
			t.Errorf("%q: ai %s/%s is %s but the app name is %s", name, app.Provider, app.Service, byAI.ID, byApp.ID)
		}
	}
}

// TestExtendAndOverride shows a deployment file adds services, replaces a
// shipped one with override: true, and the sanctioned lists win over the
// files' defaults.
func TestExtendAndOverride(t *testing.T) {
	c, err := catalog.Load(catalog.Config{
		Files:        []string{"testdata/extend.yaml"},
		Sanctioned:   []string{"chatgpt"},
		Unsanctioned: []string{"bedrock"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(c.Version(), "+1 files") {
		t.Errorf("version %q does not count the extra file", c.Version())
	}
	if got := c.Files(); len(got) != 2 || got[1] != "testdata/extend.yaml" {
		t.Errorf("files = %v", got)
	}
	reg, ok := c.ByApp("Acme Model Registry")
	if !ok || reg.ID != "acme_model_registry" || reg.Kind != catalog.KindMLPlatform || !reg.Sanctioned {
		t.Errorf("ByApp(Acme Model Registry) = %+v, %v", reg, ok)
	}
	if m, ok := c.ByAction("assistant.acme.example", "embeddings.create"); !ok || m.Service.ID != "acme_assistant" || m.Use != catalog.UseInference {
		t.Errorf("ByAction(embeddings.create) = %+v, %v", m, ok)
	}
	p, _ := c.Service("perplexity")
	if p.Name != "Perplexity Enterprise" || !p.Sanctioned || p.File != "testdata/extend.yaml" {
		t.Errorf("perplexity not replaced: %+v", p)
	}
	// The replaced entry's keys are gone, the new ones in force.
	if s, ok := c.ByHost("api.perplexity.ai"); ok {
		t.Errorf("host of the replaced entry still maps to %s", s.ID)
	}
	if s, ok := c.ByHost("www.perplexity.ai"); !ok || s.ID != "perplexity" {
		t.Errorf("ByHost(www.perplexity.ai) = %v, %v", s, ok)
	}
	if s, _ := c.Service("chatgpt"); !s.Sanctioned {
		t.Error("chatgpt not sanctioned by the list")
	}
	if s, _ := c.Service("bedrock"); s.Sanctioned {
		t.Error("bedrock still sanctioned")
	}
	// The shipped catalog is untouched by a deployment's lists.
	if s, _ := shipped(t).Service("chatgpt"); s.Sanctioned {
		t.Error("sanctioning in one catalog changed another")
	}
}

// TestBadFiles shows a malformed catalog file is rejected with every
// problem at its file:line:col, and conflicts with the shipped catalog name
// both places.
func TestBadFiles(t *testing.T) {
	tests := []struct {
		file string
		cfg  catalog.Config
		want []string
	}{
		{"malformed.bad.yaml", catalog.Config{}, []string{
			"testdata/malformed.bad.yaml:3:5: services[0]: id is missing",
			`testdata/malformed.bad.yaml:7:9: services[1].id: "Acme_Chat" is not an id (lower-case letters, digits, '_', '.', '-'; up to 64)`,
			`testdata/malformed.bad.yaml:10:11: service "Acme_Chat": kind "chatbot" is not one of saas_app, api, platform, ml_platform, gateway, ide_assistant`,
			`testdata/malformed.bad.yaml:11:13: service "Acme_Chat": hosts "https://chat.acme.example/": want a host name, without scheme, port or path`,
			`testdata/malformed.bad.yaml:16:17: service "acme_models": sanctioned: want true or false, not "yes"`,
			`testdata/malformed.bad.yaml:17:5: services[2]: unknown key "colour" (want one of id, provider, name, kind, sanctioned, ai, apps, hosts, actions, override, description)`,
			`testdata/malformed.bad.yaml:20:14: service "acme_models": actions[0]: use "predict" is not one of inference, signin, act, build, keys, admin`,
			`testdata/malformed.bad.yaml:21:16: service "acme_models": actions[0]: names is empty`,
			`testdata/malformed.bad.yaml:22:5: service "acme_empty": nothing to recognize it by: set at least one of ai, apps, hosts, actions`,
		}},
		{"syntax.bad.yaml", catalog.Config{}, []string{"testdata/syntax.bad.yaml:5:"}},
		{"duplicates.bad.yaml", catalog.Config{}, []string{
			`testdata/duplicates.bad.yaml:7:32: service "acme_chat": hosts "api.openai.com" already belongs to service "openai_api" (catalog.yaml (shipped):`,
			`testdata/duplicates.bad.yaml:8:5: service "acme_chat" already defined at testdata/duplicates.bad.yaml:3; set override: true to replace it`,
			`testdata/duplicates.bad.yaml:20:17: service "acme_bedrock_clone": action "bedrock.amazonaws.com InvokeModel" already belongs to service "bedrock" (catalog.yaml (shipped):`,
			`testdata/duplicates.bad.yaml:21:5: service "chatgpt" already defined at catalog.yaml (shipped):`,
		}},
		{"override_nothing.bad.yaml", catalog.Config{}, []string{
			`testdata/override_nothing.bad.yaml:2:5: service "no_such_service": override: true but no earlier file defines it`,
		}},
		{"", catalog.Config{Sanctioned: []string{"nope", "claude"}, Unsanctioned: []string{"claude"}}, []string{
			`catalog: sanctioned[0]: unknown service "nope"`,
			`catalog: service "claude" is both sanctioned and unsanctioned`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cfg := tt.cfg
			if tt.file != "" {
				cfg.Files = []string{filepath.Join("testdata", tt.file)}
			}
			_, err := catalog.Load(cfg)
			if err == nil {
				t.Fatal("loaded without error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%s", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if i >= len(lines) || !strings.HasPrefix(lines[i], w) {
					t.Errorf("problem %d:\n got %q\nwant %q...", i, at(lines, i), w)
				}
			}
		})
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}

// TestParseErrorsArePositioned shows Parse's problems are *filefmt.Error
// values carrying the line and column.
func TestParseErrorsArePositioned(t *testing.T) {
	data, err := os.ReadFile("testdata/malformed.bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = catalog.Parse("m.yaml", data)
	var fe *filefmt.Error
	if !errors.As(err, &fe) || fe.File != "m.yaml" || fe.Line != 3 || fe.Column != 5 {
		t.Fatalf("err = %v, want a *filefmt.Error at m.yaml:3:5", err)
	}
}

// FuzzParse feeds the catalog parser arbitrary files: it must never panic,
// and a file it accepts must build into a catalog on its own or be refused
// with an error.
func FuzzParse(f *testing.F) {
	f.Add(catalog.Shipped())
	for _, name := range []string{"malformed.bad.yaml", "syntax.bad.yaml", "duplicates.bad.yaml", "extend.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("services: [{id: a, provider: b, name: c, kind: api, hosts: ['*']}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := catalog.Parse("fuzz.yaml", data)
		if err != nil {
			var fe *filefmt.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		c, err := catalog.Build([]*catalog.File{file}, nil, nil)
		if err != nil {
			return
		}
		for _, s := range c.Services() {
			if got, ok := c.Service(s.ID); !ok || got != s {
				t.Fatalf("service %q not found by id", s.ID)
			}
		}
	})
}
