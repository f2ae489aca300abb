package feed

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

// TestConfigYAML shows a feed configuration decodes strictly, the
// delivery settings inline in each output, and builds its outputs under
// their names.
func TestConfigYAML(t *testing.T) {
	text := `
spill_dir: ` + t.TempDir() + `
syslog:
  - {address: "127.0.0.1:514", facility: auth, max_attempts: 3}
  - {name: siem-tls, address: "127.0.0.1:6514", network: tls, framing: newline}
hec:
  - {url: "https://127.0.0.1:8088/services/collector/event", token: {value: t0k3n}, batch_size: 50, flush_interval: 2s, kinds: [alert]}
chat:
  - {url: {env: TEST_CHAT_URL}, min_severity: high}
email:
  - {address: "127.0.0.1:25", security: none, from: aitdr@acme.example, to: [soc@acme.example]}
paging:
  - {routing_key: {value: key}, url: "http://127.0.0.1:9/v2/enqueue"}
`
	var c Config
	if err := yaml.NewDecoder(bytes.NewReader([]byte(text)), yaml.Strict(), yaml.DisallowUnknownField()).Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Syslog[0].MaxAttempts != 3 || c.HEC[0].FlushInterval != 2*time.Second || c.Chat[0].MinSeverity != "high" || c.HEC[0].Kinds[0] != KindAlert {
		t.Errorf("decoded %+v", c)
	}
	f, err := New(c, WithLookupEnv(func(k string) (string, bool) { return "http://127.0.0.1:9/hook", k == "TEST_CHAT_URL" }))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Outputs(), ","); got != "syslog,siem-tls,hec,chat,email,paging" {
		t.Errorf("outputs %s", got)
	}
	var bad Config
	if err := yaml.NewDecoder(strings.NewReader("syslog: [{adress: x}]"), yaml.Strict(), yaml.DisallowUnknownField()).Decode(&bad); err == nil {
		t.Error("an unknown key was accepted")
	}
}
