package sources_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/sources"
	"github.com/aitdr/aitdr/schemas"
)

// ownerOf maps each source package's testdata folder to its product.
var ownerOf = map[string]schemas.Product{
	"cloudtrail": schemas.ProductAWSCloudTrail,
	"okta":       schemas.ProductOkta,
	"entra":      schemas.ProductEntra,
	"gcpaudit":   schemas.ProductGCPAudit,
	"github":     schemas.ProductGitHub,
	"k8saudit":   schemas.ProductK8sAudit,
	"openai":     schemas.ProductOpenAI,
	"anthropic":  schemas.ProductAnthropic,
	"aigateway":  schemas.ProductAIGateway,
}

// TestDetectionFindsTheOwningSource shows that, in Build's order, the first
// source that claims each golden input of every source package is the
// source that input belongs to: auto-detection never hands a record to the
// wrong normalizer.
func TestDetectionFindsTheOwningSource(t *testing.T) {
	all, err := sources.Build(sources.Config{})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for dir, want := range ownerOf {
		inputs, err := filepath.Glob(filepath.Join("..", dir, "testdata", "*.in.json"))
		if err != nil || len(inputs) == 0 {
			t.Fatalf("%s: no golden inputs (%v)", dir, err)
		}
		for _, path := range inputs {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got schemas.Product
			for _, s := range all {
				if s.Detect(data) {
					got = s.Product()
					break
				}
			}
			// Inputs that are deliberately malformed or of another shape
			// are named so; every other one must be detected as its own.
			base := filepath.Base(path)
			if strings.Contains(base, "bad") || strings.Contains(base, "invalid") {
				continue
			}
			if got != want {
				t.Errorf("%s: detected as %q, want %q", path, got, want)
			}
			checked++
		}
	}
	if checked < 100 {
		t.Fatalf("only %d golden inputs checked", checked)
	}
}

// TestBuildRejectsBadMappings shows a broken mapping file fails the build
// with its name, instead of running without that source.
func TestBuildRejectsBadMappings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(path, []byte("product: Acme Audit\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sources.Build(sources.Config{Mappings: []string{path}})
	if err == nil || !strings.Contains(err.Error(), "broken.yaml:1:10") {
		t.Fatalf("err = %v, want the file, line and column", err)
	}
}
