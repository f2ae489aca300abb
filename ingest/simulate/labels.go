package simulate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// Label is the ground truth of one injected scenario instance: who did
// what, when, in which events. Labels are written as JSON lines beside the
// records, one per instance, once its last record is out.
type Label struct {
	// Scenario is the scenario kind (see ScenarioKinds).
	Scenario string `json:"scenario"`
	// Instance names the instance: "<scenario>-<n>".
	Instance string `json:"instance"`
	// IdentityID is the identity id aitdr derives from the instance's
	// records, the identity a detection should name.
	IdentityID string `json:"identity_id"`
	// IdentityClass is the class of the identity: ai_user, ai_builder or
	// ai_agent.
	IdentityClass schemas.IdentityClass `json:"identity_class"`
	// Person is the directory id of the person behind the identity, or of
	// the owner of an agent; empty when there is none.
	Person string `json:"person,omitempty"`
	// Start and End are the event times of the first and last record.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Events are the instance's records, in the order they were emitted.
	Events []LabelEvent `json:"events"`
	// DataTypes are the kinds of confidential data in the prompts of a
	// confidential_prompt instance, as the content scanner names them.
	DataTypes []schemas.DataType `json:"data_types,omitempty"`
	// Complete is false when the run stopped (count or cancellation)
	// before every record of the instance was out.
	Complete bool `json:"complete"`
	// Description says what happened, for people reading the labels.
	Description string `json:"description"`
}

// LabelEvent is one record of a labelled instance.
type LabelEvent struct {
	// Product is the record's source product.
	Product schemas.Product `json:"product"`
	// SourceEventID is the source's own id of the record; empty for
	// sources without one.
	SourceEventID string `json:"source_event_id,omitempty"`
	// EventID is the id aitdr gives the event (schemas.EventID).
	EventID string `json:"event_id"`
	// Time is the record's event time.
	Time time.Time `json:"time"`
}

// maxLabelLine bounds one line of a labels file.
const maxLabelLine = 16 << 20

// ReadLabels reads a labels file: one JSON Label per line, blank lines
// skipped. A line that is not a well-formed label fails with its line
// number and the reason.
func ReadLabels(r io.Reader) ([]Label, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLabelLine)
	var out []Label
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var l Label
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("labels line %d: %w", line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("labels line %d: data after the label", line)
		}
		if err := l.validate(); err != nil {
			return nil, fmt.Errorf("labels line %d: %w", line, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("labels line %d: %w", line+1, err)
	}
	return out, nil
}

// validate checks what a reader of labels relies on.
func (l *Label) validate() error {
	var errs []error
	if !slices.Contains(ScenarioKinds(), l.Scenario) {
		errs = append(errs, fmt.Errorf("scenario: unknown %q", l.Scenario))
	}
	if l.Instance == "" {
		errs = append(errs, errors.New("instance: missing"))
	}
	if l.IdentityID == "" {
		errs = append(errs, errors.New("identity_id: missing"))
	}
	if l.Start.IsZero() || l.End.Before(l.Start) {
		errs = append(errs, fmt.Errorf("start, end: %s to %s is not a time span", l.Start.Format(time.RFC3339), l.End.Format(time.RFC3339)))
	}
	if len(l.Events) == 0 {
		errs = append(errs, errors.New("events: none"))
	}
	for i, e := range l.Events {
		if len(e.EventID) != schemas.EventIDLen {
			errs = append(errs, fmt.Errorf("events[%d].event_id: %q is not an event id", i, e.EventID))
		}
	}
	return errors.Join(errs...)
}

// labelWriter writes labels as JSON lines.
type labelWriter struct {
	w   io.Writer
	buf bytes.Buffer
}

func (lw *labelWriter) write(l *Label) error {
	lw.buf.Reset()
	enc := json.NewEncoder(&lw.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil {
		return fmt.Errorf("encode label %s: %w", l.Instance, err)
	}
	if _, err := lw.w.Write(lw.buf.Bytes()); err != nil {
		return fmt.Errorf("write label %s: %w", l.Instance, err)
	}
	return nil
}
