// Package secret reads a credential that the configuration names rather
// than holds: from an environment variable, from a file (a mounted
// Kubernetes or Docker secret), or, for tests and demos, inline.
//
// In YAML a Secret is either a mapping with one of env, file or value, or a
// plain string, which is taken as the value:
//
//	token: {env: AITDR_OKTA_TOKEN}
//	token: {file: /run/secrets/okta-token}
package secret

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Secret names where a credential is: exactly one of Env, File or Value is
// set (or none, for a credential that is not configured).
type Secret struct {
	// Env is the environment variable holding the credential.
	Env string `yaml:"env,omitempty"`
	// File is the file holding the credential; leading and trailing white
	// space is dropped, so that a trailing newline does not count.
	File string `yaml:"file,omitempty"`
	// Value is the credential itself. Prefer Env or File outside tests:
	// configuration files end up in places credentials should not.
	Value string `yaml:"value,omitempty"`
}

// UnmarshalYAML accepts a plain string as the Value, or a mapping.
func (s *Secret) UnmarshalYAML(unmarshal func(any) error) error {
	var plain string
	if err := unmarshal(&plain); err == nil {
		*s = Secret{Value: plain}
		return nil
	}
	type fields Secret // without the method, to decode the mapping
	var f fields
	if err := unmarshal(&f); err != nil {
		return err
	}
	*s = Secret(f)
	return nil
}

// IsSet reports whether a source is named.
func (s Secret) IsSet() bool { return s.Env != "" || s.File != "" || s.Value != "" }

// Validate reports a Secret that names more than one source.
func (s Secret) Validate() error {
	n := 0
	for _, v := range []string{s.Env, s.File, s.Value} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		return errors.New("set only one of env, file and value")
	}
	return nil
}

// String hides the value, so that a logged configuration does not leak it.
func (s Secret) String() string {
	switch {
	case s.Env != "":
		return "env:" + s.Env
	case s.File != "":
		return "file:" + s.File
	case s.Value != "":
		return "value:<redacted>"
	}
	return "<unset>"
}

// Read returns the credential. lookupEnv is os.LookupEnv when nil. It
// fails when the source is unset, the variable is missing or the file
// cannot be read, or the credential is empty.
func (s Secret) Read(lookupEnv func(string) (string, bool)) (string, error) {
	if err := s.Validate(); err != nil {
		return "", err
	}
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	var v string
	switch {
	case s.Env != "":
		var ok bool
		if v, ok = lookupEnv(s.Env); !ok {
			return "", fmt.Errorf("read secret: environment variable %s is not set", s.Env)
		}
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return "", fmt.Errorf("read secret: %w", err)
		}
		v = string(bytes.TrimSpace(b))
	case s.Value != "":
		v = s.Value
	default:
		return "", errors.New("read secret: none of env, file and value is set")
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("read secret %s: empty", s)
	}
	return v, nil
}
