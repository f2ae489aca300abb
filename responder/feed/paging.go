package feed

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/aitdr/aitdr/schemas/ocsf"
)

// Paging is the paging output: PagerDuty Events API v2 trigger events,
// one per message, deduplicated by the alert id so that an alert and the
// outcomes of its containment land on one incident. Create it with
// NewPaging; it is safe for concurrent use.
type Paging struct {
	name, url, key string
	client         *http.Client
}

var _ Output = (*Paging)(nil)

// NewPaging returns the output of cfg with its routing key.
func NewPaging(cfg PagingConfig, name, routingKey string) (*Paging, error) {
	u := cmp.Or(cfg.URL, DefaultPagingURL)
	c, err := httpClient(u, cfg.TLS)
	if err != nil {
		return nil, fmt.Errorf("feed paging %s: %w", name, err)
	}
	return &Paging{name: name, url: u, key: routingKey, client: c}, nil
}

// Name returns the output's name.
func (p *Paging) Name() string { return p.name }

// pagingSeverity maps an OCSF severity to the Events API's critical,
// error, warning, info.
func pagingSeverity(s ocsf.SeverityID) string {
	switch s {
	case ocsf.SeverityCritical, ocsf.SeverityFatal:
		return "critical"
	case ocsf.SeverityHigh:
		return "error"
	case ocsf.SeverityMedium:
		return "warning"
	}
	return "info"
}

// pagingEvent is an Events API v2 event.
type pagingEvent struct {
	RoutingKey  string        `json:"routing_key"`
	EventAction string        `json:"event_action"`
	DedupKey    string        `json:"dedup_key"`
	Payload     pagingPayload `json:"payload"`
	Client      string        `json:"client,omitempty"`
}

type pagingPayload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Event returns the Events API body of m.
func (p *Paging) Event(m Message) ([]byte, error) {
	v := m.view()
	details := map[string]any{"kind": m.Kind, "message_id": m.ID}
	for _, l := range m.lines(v) {
		details[l[0]] = l[1]
	}
	ev := pagingEvent{
		RoutingKey: p.key, EventAction: "trigger", DedupKey: cmp.Or(m.alertID(), m.ID), Client: "aitdr",
		Payload: pagingPayload{
			Summary:   clip(m.headline(v), 1024),
			Source:    cmp.Or(v.IdentityID, "aitdr"),
			Severity:  pagingSeverity(m.severity()),
			Component: v.Class, Group: v.Team, Class: v.RuleID, CustomDetails: details,
		},
	}
	if !m.Time.IsZero() {
		ev.Payload.Timestamp = m.Time.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(ev)
}

// Send triggers (or adds to) the incident of m's alert.
func (p *Paging) Send(ctx context.Context, m Message) error {
	body, err := p.Event(m)
	if err != nil {
		return Permanent(fmt.Errorf("feed paging %s: %w", p.name, err))
	}
	if _, err := post(ctx, p.client, p.url, http.Header{"Content-Type": {"application/json"}, "User-Agent": {"aitdr-feed"}}, body); err != nil {
		return fmt.Errorf("feed paging %s: %w", p.name, err)
	}
	return nil
}
