package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestRenderLive(t *testing.T) {
	st := liveStats{
		At:     time.Date(2026, 11, 26, 10, 4, 5, 0, time.UTC),
		Uptime: 95 * time.Second,
		Topics: []topicRate{
			{Label: "raw records", Topic: "aitdr.raw", Total: 12000, PerSec: 1000},
			{Label: "events", Topic: "aitdr.events", Total: 11990, PerSec: 998.6},
			{Label: "alerts", Topic: "aitdr.alerts", Total: 7, PerSec: 0.2},
		},
		Lag:               map[string]int64{"rules": 3, "enrich": 120},
		IdentitiesByClass: map[string]int64{"ai_user": 40, "ai_agent": 12, "zeta": 1, "service": 3},
		AlertsBySeverity:  map[string]int64{"high": 4, "critical": 2, "low": 1},
		TopRules:          []ruleCount{{Rule: "aitdr-agent-cross-tenant", Count: 3}, {Rule: "aitdr-llmjacking-enumeration", Count: 2}},
		ActionsByStatus:   map[string]int64{"succeeded": 5, "pending": 1},
		DryRunActions:     2,
		Responded:         5,
		MTTRP50:           1234 * time.Millisecond,
		MTTRP95:           4321 * time.Millisecond,
		Problems:          []string{"time to respond: table missing"},
	}
	var b strings.Builder
	renderLive(&b, st)
	golden := filepath.Join("testdata", "live.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("live view:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestRenderLiveEmpty(t *testing.T) {
	var b strings.Builder
	renderLive(&b, liveStats{})
	for _, want := range []string{"IDENTITIES             -", "no containment yet"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("empty view lacks %q:\n%s", want, b.String())
		}
	}
}
