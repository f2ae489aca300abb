package schemas_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata (and write missing compat files)")

// indentJSON returns b indented by two spaces, with a final newline, as the
// golden JSON files are stored.
func indentJSON(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		tb.Fatalf("indent json: %v", err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// writeGolden writes a golden file under testdata.
func writeGolden(tb testing.TB, name string, b []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// TestEventGolden shows that every golden event is valid, that its JSON
// encoding is byte for byte the committed <case>.golden.json, and that the
// committed <case>.golden.msgpack decodes to the same event and has the
// length of the current encoding (MessagePack map order varies, so bytes
// are not compared). Run with -update to rewrite both after a reviewed change.
func TestEventGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			e := c.event(t)
			if err := e.Validate(); err != nil {
				t.Fatalf("golden event is not valid: %v", err)
			}
			js, err := schemas.MarshalEventJSON(e)
			if err != nil {
				t.Fatal(err)
			}
			js = indentJSON(t, js)
			mp, err := schemas.MarshalEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				writeGolden(t, c.name+".golden.json", js)
				writeGolden(t, c.name+".golden.msgpack", mp)
			}
			if want := readTestdata(t, c.name+".golden.json"); !bytes.Equal(js, want) {
				t.Errorf("JSON encoding differs from %s.golden.json (run with -update after review):\n got: %s\nwant: %s", c.name, js, want)
			}
			golden := readTestdata(t, c.name+".golden.msgpack")
			if len(golden) != len(mp) {
				t.Errorf("MessagePack encoding is %d bytes, %s.golden.msgpack has %d", len(mp), c.name, len(golden))
			}
			var got schemas.Event
			if err := schemas.DecodeEvent(schemas.ContentTypeEventMsgpack, golden, &got); err != nil {
				t.Fatalf("decode golden msgpack: %v", err)
			}
			if !reflect.DeepEqual(&got, e) {
				t.Errorf("golden msgpack decodes to\n%+v\nwant\n%+v", got, *e)
			}
		})
	}
}

// identityFixture is an inventory row of the agent of the golden events.
func identityFixture() *schemas.Identity {
	first := time.Date(2024, 11, 2, 16, 40, 0, 0, time.UTC)
	last := time.Date(2025, 3, 14, 9, 26, 41, 0, time.UTC)
	return &schemas.Identity{
		ID:              "aws:123456789012:role/bedrock-support-agent",
		Kind:            schemas.KindAgent,
		Class:           schemas.ClassAIAgent,
		ClassConfidence: 0.93,
		ClassEvidence:   []string{"no interactive sign-in", "invokes bedrock models"},
		Providers:       []string{"aws"},
		Accounts:        []schemas.IdentityAccount{{Provider: "aws", ID: "123456789012", Type: schemas.AccountCorporate}},
		AccountType:     schemas.AccountCorporate,
		DisplayName:     "bedrock-support-agent",
		Owner:           "priya.natarajan@acme.example",
		Team:            "support-automation",
		PeerGroup:       "ai_agent/support-automation",
		AIServices: []schemas.AIServiceUse{{
			Provider: "aws.bedrock", Service: "bedrock", Status: schemas.AIServiceSanctioned,
			Models:    []string{"anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0"},
			FirstSeen: first, LastSeen: last, Events: 48212,
		}},
		Targets: []schemas.TargetUse{{
			Type: "model", ID: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
			Environment: schemas.EnvProduction, Tenant: "123456789012", LastSeen: last, Events: 1,
		}, {
			Type: "s3_bucket", ID: "arn:aws:s3:::acme-support-kb", Environment: schemas.EnvProduction,
			Sensitivity: schemas.SensitivityConfidential, Tenant: "123456789012", LastSeen: last.Add(-time.Hour), Events: 912,
		}},
		TargetsTotal:     2,
		Tenants:          []string{"123456789012"},
		Environments:     []schemas.Environment{schemas.EnvProduction},
		FirstSeen:        first,
		LastSeen:         last,
		Events:           49124,
		Failures:         37,
		EventsByCategory: map[string]int64{"model_inference": 48212, "data_access": 912},
		Registered:       true,
	}
}

// TestIdentityGolden shows that the inventory row encodes to the committed
// identity.golden.json and that identity.golden.msgpack decodes to it.
func TestIdentityGolden(t *testing.T) {
	id := identityFixture()
	js, err := schemas.MarshalIdentityJSON(id)
	if err != nil {
		t.Fatal(err)
	}
	js = indentJSON(t, js)
	mp, err := schemas.AppendIdentity(nil, id)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		writeGolden(t, "identity.golden.json", js)
		writeGolden(t, "identity.golden.msgpack", mp)
	}
	if want := readTestdata(t, "identity.golden.json"); !bytes.Equal(js, want) {
		t.Errorf("JSON encoding differs from identity.golden.json:\n got: %s\nwant: %s", js, want)
	}
	for _, ct := range []string{schemas.ContentTypeIdentityMsgpack, schemas.ContentTypeIdentityJSON} {
		name := "identity.golden.msgpack"
		if ct == schemas.ContentTypeIdentityJSON {
			name = "identity.golden.json"
		}
		var got schemas.Identity
		if err := schemas.DecodeIdentity(ct, readTestdata(t, name), &got); err != nil {
			t.Fatalf("decode %s: %v", name, err)
		}
		if !reflect.DeepEqual(&got, id) {
			t.Errorf("%s decodes to\n%+v\nwant\n%+v", name, got, *id)
		}
	}
}
