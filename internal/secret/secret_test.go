package secret_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/aitdr/aitdr/internal/secret"
)

// TestRead shows each source, and the errors of a missing or empty one.
func TestRead(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	_ = os.WriteFile(empty, []byte("\n"), 0o600)
	env := func(k string) (string, bool) { return "from-env", k == "SET" }
	for _, tc := range []struct {
		s       secret.Secret
		want    string
		wantErr string
	}{
		{secret.Secret{Env: "SET"}, "from-env", ""},
		{secret.Secret{File: file}, "from-file", ""},
		{secret.Secret{Value: "inline"}, "inline", ""},
		{secret.Secret{Env: "UNSET"}, "", "UNSET is not set"},
		{secret.Secret{File: empty}, "", "empty"},
		{secret.Secret{}, "", "none of env, file and value"},
		{secret.Secret{Env: "SET", Value: "x"}, "", "only one"},
	} {
		got, err := tc.s.Read(env)
		if got != tc.want || (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%v: %q, %v; want %q, error %q", tc.s, got, err, tc.want, tc.wantErr)
		}
	}
	if s := (secret.Secret{Value: "hunter2"}).String(); strings.Contains(s, "hunter2") {
		t.Errorf("String shows the value: %s", s)
	}
}

// TestYAML shows a Secret decodes from a mapping or a plain string.
func TestYAML(t *testing.T) {
	var v struct {
		A secret.Secret `yaml:"a"`
		B secret.Secret `yaml:"b"`
	}
	if err := yaml.Unmarshal([]byte("a: {env: X}\nb: plain\n"), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != (secret.Secret{Env: "X"}) || v.B != (secret.Secret{Value: "plain"}) {
		t.Errorf("decoded %+v", v)
	}
}
