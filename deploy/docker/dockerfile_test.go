package docker_test

import (
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/internal/aitdrtest"
)

func readDockerfile(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// The Dockerfile builds with CGO off and the tags the deployment tests
// build with, and the binary those give is static: no program interpreter
// and no shared library, so it runs on the distroless static base. The
// embedded ClickHouse engine is left out and says so when asked for.
func TestImageBinaryIsStatic(t *testing.T) {
	df := readDockerfile(t)
	build := regexp.MustCompile(`(?s)CGO_ENABLED=0 .*?go build ([^\n]*)`).FindStringSubmatch(df)
	if build == nil {
		t.Fatal("the Dockerfile runs no CGO_ENABLED=0 go build")
	}
	if !strings.Contains(build[1], "-tags "+aitdrtest.BuildTags+" ") || !strings.Contains(build[1], "./cmd/aitdr") {
		t.Fatalf("the Dockerfile builds %q, not ./cmd/aitdr with -tags %s", build[1], aitdrtest.BuildTags)
	}
	if !strings.Contains(df, "FROM gcr.io/distroless/static") {
		t.Error("the image is not on a static distroless base")
	}

	bin, err := aitdrtest.Build(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is dynamically linked (program header %s)", p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "clickhouse", "serve", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "without the embedded engine") {
		t.Errorf("the embedded engine of the image's binary: err = %v, output:\n%s", err, out)
	}
}

// The image runs the binary where the Compose health checks call it, reads
// the configuration where the deployment files mount it, and serves
// telemetry beyond loopback so that probes and Prometheus reach it.
func TestImageSettings(t *testing.T) {
	df := readDockerfile(t)
	for _, want := range []string{
		`COPY --from=build /out/aitdr /usr/local/bin/aitdr`,
		`ENTRYPOINT ["/usr/local/bin/aitdr"]`,
		`AITDR_CONFIG=/etc/aitdr/aitdr.yaml`,
		`AITDR_TELEMETRY_LISTEN=0.0.0.0:9464`,
		`USER 65532:65532`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("the Dockerfile lacks %s", want)
		}
	}
}
