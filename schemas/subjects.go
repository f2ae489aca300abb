package schemas

import "time"

// NATS subjects and JetStream streams. Alerts fan out on NATS from the rules
// stage to the responder and to SIEM forwarders; the responder records what
// it did on the action subjects.
const (
	// SubjectAlerts is the subject prefix of alerts; an alert is published on
	// SubjectAlerts + "." + severity + "." + identity class, for example
	// "aitdr.alerts.critical.ai_agent", so consumers can filter by either.
	SubjectAlerts = "aitdr.alerts"
	// SubjectActions is the subject prefix of response action outcomes,
	// published as SubjectActions + "." + action status.
	SubjectActions = "aitdr.actions"

	// StreamAlerts is the JetStream stream that keeps alerts for durable
	// consumers (the responder, forwarders).
	StreamAlerts = "AITDR_ALERTS"
	// StreamActions is the JetStream stream of response action outcomes.
	StreamActions = "AITDR_ACTIONS"

	// HeaderNATSMsgID is the JetStream de-duplication header; alerts carry
	// their alert id in it so a re-published alert is stored once.
	HeaderNATSMsgID = "Nats-Msg-Id"
)

// StreamSpec is how one JetStream stream is provisioned.
type StreamSpec struct {
	// Name of the stream.
	Name string
	// Subjects the stream captures (wildcards allowed).
	Subjects []string
	// MaxAge is how long messages are kept.
	MaxAge time.Duration
	// DuplicateWindow is how long message ids are remembered for
	// de-duplication of re-published messages.
	DuplicateWindow time.Duration
	// Replicas is the replica count in a NATS cluster; 1 on a single server.
	Replicas int
}

// StreamLayout chooses how the pipeline's JetStream streams are provisioned.
type StreamLayout struct {
	// Replicas of every stream. Default 1.
	Replicas int
	// MaxAge of every stream. Default 7 days.
	MaxAge time.Duration
}

// Specs returns the spec of every pipeline stream under the layout, with
// defaults filled in.
func (l StreamLayout) Specs() []StreamSpec {
	if l.Replicas <= 0 {
		l.Replicas = 1
	}
	if l.MaxAge <= 0 {
		l.MaxAge = 7 * 24 * time.Hour
	}
	return []StreamSpec{
		{Name: StreamAlerts, Subjects: []string{SubjectAlerts + ".>"}, MaxAge: l.MaxAge, DuplicateWindow: 10 * time.Minute, Replicas: l.Replicas},
		{Name: StreamActions, Subjects: []string{SubjectActions + ".>"}, MaxAge: l.MaxAge, DuplicateWindow: 10 * time.Minute, Replicas: l.Replicas},
	}
}
