package simulate_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/simulate"
)

// sampleLabel is a well-formed label line.
const sampleLabel = `{"scenario":"llmjacking","instance":"llmjacking-1","identity_id":"aws:210987654321:user/svc-batch","identity_class":"ai_agent","start":"2026-03-04T08:00:00Z","end":"2026-03-04T09:00:00Z","events":[{"product":"aws.cloudtrail","source_event_id":"e3b9a1c4-7d2f-4e8a-b6c5-9f0d1a2b3c4d","event_id":"0123456789abcdef0123456789abcdef","time":"2026-03-04T08:00:00Z"}],"complete":true,"description":"stolen key"}`

// TestReadLabelsRoundTrip shows the labels a run writes read back as they
// were made, and that a labels file with a bad line fails naming it.
func TestReadLabelsRoundTrip(t *testing.T) {
	_, labels, _, _ := smallRunEvents(t)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, l := range labels {
		if err := enc.Encode(l); err != nil {
			t.Fatal(err)
		}
	}
	buf.WriteString("\n") // blank lines are skipped
	back, err := simulate.ReadLabels(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(labels) || back[0].Instance != labels[0].Instance || !back[0].Start.Equal(labels[0].Start) {
		t.Fatalf("read %d labels, wrote %d", len(back), len(labels))
	}

	cases := []struct {
		name, input, want string
	}{
		{"not json", sampleLabel + "\n{oops\n", "labels line 2:"},
		{"unknown field", strings.Replace(sampleLabel, `"complete"`, `"done":1,"complete"`, 1), `labels line 1: json: unknown field "done"`},
		{"unknown scenario", strings.Replace(sampleLabel, `"scenario":"llmjacking"`, `"scenario":"heist"`, 1), `scenario: unknown "heist"`},
		{"no events", strings.Replace(sampleLabel, `"events":[{"product":"aws.cloudtrail","source_event_id":"e3b9a1c4-7d2f-4e8a-b6c5-9f0d1a2b3c4d","event_id":"0123456789abcdef0123456789abcdef","time":"2026-03-04T08:00:00Z"}]`, `"events":[]`, 1), "events: none"},
		{"end before start", strings.Replace(sampleLabel, `"end":"2026-03-04T09:00:00Z"`, `"end":"2026-03-04T07:00:00Z"`, 1), "is not a time span"},
		{"two labels on a line", sampleLabel + sampleLabel, "data after the label"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := simulate.ReadLabels(strings.NewReader(tc.input))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// FuzzReadLabels shows no input makes the reader panic, and that what it
// accepts is labels whose spans and events are well formed.
func FuzzReadLabels(f *testing.F) {
	f.Add([]byte(sampleLabel + "\n"))
	f.Add([]byte("\n\n" + sampleLabel))
	f.Add([]byte(`{"scenario":"llmjacking"}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		labels, err := simulate.ReadLabels(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, l := range labels {
			if l.Start.IsZero() || l.End.Before(l.Start) || len(l.Events) == 0 || l.IdentityID == "" {
				t.Fatalf("accepted a malformed label %+v", l)
			}
			for _, e := range l.Events {
				if len(e.EventID) != 32 {
					t.Fatalf("accepted event id %q", e.EventID)
				}
			}
		}
	})
}
