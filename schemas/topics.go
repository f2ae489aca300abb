package schemas

import (
	"strconv"
	"time"
)

// Topic names of the pipeline. Every record on an event topic is keyed by the
// identity id so that one identity's events stay ordered on one partition and
// one stage worker owns its state.
const (
	// TopicRaw carries source records exactly as received (HTTP, files, Kafka
	// producers of the customer); the ingest stage normalizes them.
	TopicRaw = "aitdr.raw"
	// TopicEvents carries normalized events, keyed by identity id.
	TopicEvents = "aitdr.events"
	// TopicEnriched carries events with identity class, inventory and context.
	TopicEnriched = "aitdr.enriched"
	// TopicScored carries events with their baseline features.
	TopicScored = "aitdr.scored"
	// TopicAlerts carries OCSF Detection Findings, keyed by identity id.
	TopicAlerts = "aitdr.alerts"
	// TopicDeadLetter carries every record a stage could not process, with
	// the original key, value and headers and the reason in DLQ headers.
	TopicDeadLetter = "aitdr.dlq"
	// TopicIdentityChangelog is the compacted changelog of the identity
	// inventory kept by the enrich stage, keyed by identity id.
	TopicIdentityChangelog = "aitdr.identities.changelog"
	// TopicBaselineChangelog is the compacted changelog of per-identity
	// baseline state, keyed by identity id.
	TopicBaselineChangelog = "aitdr.baseline.changelog"
	// TopicRulesChangelog is the compacted changelog of stateful rule state
	// (thresholds, sequences), keyed by rule group key.
	TopicRulesChangelog = "aitdr.rules.changelog"
)

// Record header names shared by every stage.
const (
	// HeaderSchemaVersion holds the event schema version of the value as a
	// decimal string ("1").
	HeaderSchemaVersion = "aitdr-schema"
	// HeaderContentType names the encoding of the value (see ContentType*).
	HeaderContentType = "aitdr-content-type"
	// HeaderTraceParent and HeaderTraceState carry W3C trace context, so a
	// trace follows an event from ingest to the responder.
	HeaderTraceParent = "traceparent"
	HeaderTraceState  = "tracestate"

	// HeaderDLQReason is the error that sent a record to the dead-letter topic.
	HeaderDLQReason = "aitdr-dlq-reason"
	// HeaderDLQStage names the stage that rejected the record.
	HeaderDLQStage = "aitdr-dlq-stage"
	// HeaderDLQTopic, HeaderDLQPartition and HeaderDLQOffset locate the
	// original record.
	HeaderDLQTopic     = "aitdr-dlq-topic"
	HeaderDLQPartition = "aitdr-dlq-partition"
	HeaderDLQOffset    = "aitdr-dlq-offset"
	// HeaderDLQTime is when the record was rejected, RFC 3339 with nanoseconds.
	HeaderDLQTime = "aitdr-dlq-time"
	// HeaderDLQInput locates a rejected record that did not come from Kafka:
	// the HTTP request id and record index, or the file and line.
	HeaderDLQInput = "aitdr-dlq-input"
	// HeaderDLQTruncated is set on a dead letter whose original value was
	// too large to carry under the record size limit: the value holds its
	// first bytes, and this header its length in bytes as a decimal string.
	HeaderDLQTruncated = "aitdr-dlq-truncated"

	// HeaderSource names the source product of a record on a raw topic
	// ("aws.cloudtrail"), for inputs that know it; without it the ingest
	// stage detects the source from the record's shape.
	HeaderSource = "aitdr-source"
)

// TopicSpec is how one topic is provisioned.
type TopicSpec struct {
	// Name is the full topic name, prefix included.
	Name string
	// Partitions is the partition count; identity-keyed topics scale out by it.
	Partitions int32
	// ReplicationFactor is the replica count; -1 takes the broker default.
	ReplicationFactor int16
	// Configs are topic configs such as cleanup.policy and retention.ms.
	Configs map[string]string
}

// TopicLayout chooses how the pipeline's topics are provisioned.
type TopicLayout struct {
	// Prefix is prepended to every topic name, so that several deployments
	// (or test runs) can share one cluster. Empty by default.
	Prefix string
	// Partitions is the partition count of every topic. Default 6.
	Partitions int32
	// ReplicationFactor of every topic; -1 (the default) takes the broker's.
	ReplicationFactor int16
	// Retention of the event topics; changelogs are compacted and kept.
	// Default 7 days.
	Retention time.Duration
}

// Specs returns the spec of every pipeline topic under the layout, with
// defaults filled in: event topics with time retention, changelogs compacted.
func (l TopicLayout) Specs() []TopicSpec {
	if l.Partitions <= 0 {
		l.Partitions = 6
	}
	if l.ReplicationFactor == 0 {
		l.ReplicationFactor = -1
	}
	if l.Retention <= 0 {
		l.Retention = 7 * 24 * time.Hour
	}
	retention := strconv.FormatInt(l.Retention.Milliseconds(), 10)
	event := func(name string) TopicSpec {
		return TopicSpec{
			Name:              l.Prefix + name,
			Partitions:        l.Partitions,
			ReplicationFactor: l.ReplicationFactor,
			Configs:           map[string]string{"cleanup.policy": "delete", "retention.ms": retention},
		}
	}
	changelog := func(name string) TopicSpec {
		return TopicSpec{
			Name:              l.Prefix + name,
			Partitions:        l.Partitions,
			ReplicationFactor: l.ReplicationFactor,
			Configs:           map[string]string{"cleanup.policy": "compact", "min.compaction.lag.ms": "60000"},
		}
	}
	return []TopicSpec{
		event(TopicRaw),
		event(TopicEvents),
		event(TopicEnriched),
		event(TopicScored),
		event(TopicAlerts),
		event(TopicDeadLetter),
		changelog(TopicIdentityChangelog),
		changelog(TopicBaselineChangelog),
		changelog(TopicRulesChangelog),
	}
}
