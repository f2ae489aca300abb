// Package kafka provisions the pipeline's topics on a Kafka cluster with
// franz-go's kadm: it creates the topics that are missing and brings the
// configs of existing ones back to their spec, so every stage can run it at
// start-up.
//
// Provisioning is idempotent: a second run against the same specs changes
// nothing and its Report says so. It is also safe when several stage replicas
// start at once: a topic created by another process between the listing and
// the creation is verified like any existing topic.
//
// Partition counts are never changed implicitly. Topics are keyed by identity
// id; adding partitions moves identities to other partitions, which breaks
// per-identity ordering while older records drain and breaks the
// co-partitioning of event topics with the changelogs of stateful stages. A
// topic with fewer partitions than its spec is therefore an error unless the
// operator asks for growth with GrowPartitions (a deliberate, stop-the-world
// scale-out). A topic with more partitions than its spec is kept as is and
// noted in the Report; Kafka cannot shrink a topic anyway.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/aitdr/aitdr/schemas"
)

// Action is what Provision did to one topic.
type Action int

const (
	// Unchanged means the topic already matched its spec.
	Unchanged Action = iota
	// Created means the topic did not exist and was created.
	Created
	// Updated means the topic existed and its configs or partition count
	// were brought back to the spec.
	Updated
)

// String returns the action in lower case ("unchanged", "created", "updated").
func (a Action) String() string {
	switch a {
	case Created:
		return "created"
	case Updated:
		return "updated"
	default:
		return "unchanged"
	}
}

// ConfigChange is one topic config that Provision set because it differed
// from the spec.
type ConfigChange struct {
	// Name is the config name, e.g. "cleanup.policy".
	Name string
	// Old is the value the broker reported before the change ("" if unset).
	Old string
	// New is the value of the spec, now set on the topic.
	New string
}

// TopicReport is what Provision found and did for one topic.
type TopicReport struct {
	// Name is the topic name.
	Name string
	// Action is what was done.
	Action Action
	// Partitions is the topic's partition count after provisioning.
	Partitions int32
	// GrewFrom is the partition count before growth; 0 if the topic did not grow.
	GrewFrom int32
	// Configs lists the configs that were set because they differed.
	Configs []ConfigChange
	// Notes are differences Provision leaves alone on purpose: more partitions
	// than specified, a replication factor other than the spec's.
	Notes []string
}

// Report is the outcome of Provision, one entry per spec, in spec order.
type Report struct {
	Topics []TopicReport
}

// Changed reports whether Provision created or updated any topic.
func (r Report) Changed() bool {
	for _, t := range r.Topics {
		if t.Action != Unchanged {
			return true
		}
	}
	return false
}

// String summarizes the report in one line, e.g. "9 topics: 2 created,
// 1 updated (aitdr.events: retention.ms 1000 -> 604800000), 6 unchanged", or
// "9 topics: all up to date" when nothing changed.
func (r Report) String() string {
	var created, updated, unchanged int
	var details []string
	for _, t := range r.Topics {
		switch t.Action {
		case Created:
			created++
		case Updated:
			updated++
			var changes []string
			if t.GrewFrom > 0 {
				changes = append(changes, fmt.Sprintf("partitions %d -> %d", t.GrewFrom, t.Partitions))
			}
			for _, c := range t.Configs {
				changes = append(changes, fmt.Sprintf("%s %s -> %s", c.Name, c.Old, c.New))
			}
			details = append(details, t.Name+": "+strings.Join(changes, ", "))
		default:
			unchanged++
		}
	}
	if created == 0 && updated == 0 {
		return fmt.Sprintf("%d topics: all up to date", len(r.Topics))
	}
	s := fmt.Sprintf("%d topics: %d created, %d updated", len(r.Topics), created, updated)
	if len(details) > 0 {
		s += " (" + strings.Join(details, "; ") + ")"
	}
	return s + fmt.Sprintf(", %d unchanged", unchanged)
}

// Option changes how Provision treats existing topics.
type Option func(*options)

type options struct {
	growPartitions bool
}

// GrowPartitions lets Provision add partitions to existing topics that have
// fewer than their spec. Off by default: growing moves identities between
// partitions (see the package documentation); stop the stages first.
func GrowPartitions() Option {
	return func(o *options) { o.growPartitions = true }
}

// Provision makes the cluster hold every topic of specs: missing topics are
// created with their partitions, replication factor and configs; existing ones
// get every spec config that differs set with an incremental alter (configs
// not named in the spec are left alone) and their partition count verified.
// It keeps going after a topic fails and returns the report of what was done
// with every failure joined in the error, each naming its topic and step.
// Provision is safe to run concurrently from several processes.
func Provision(ctx context.Context, adm *kadm.Client, specs []schemas.TopicSpec, opts ...Option) (Report, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	report := Report{Topics: make([]TopicReport, len(specs))}
	if len(specs) == 0 {
		return report, nil
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
		report.Topics[i].Name = s.Name
	}
	if dup := duplicate(names); dup != "" {
		return report, fmt.Errorf("provision topics: topic %q is specified twice", dup)
	}

	// kadm answers ListTopics from a metadata cache (MetadataMinAge, 5s by
	// default) that still says "unknown topic" right after a create;
	// WithAuthorizedOps makes it ask the broker.
	details, err := adm.ListTopics(kadm.WithAuthorizedOps(ctx), names...)
	if err != nil {
		return report, fmt.Errorf("provision topics: list topics: %w", err)
	}

	var errs []error
	var existing []int // indexes into specs of topics to verify
	for i, s := range specs {
		d, ok := details[s.Name]
		switch {
		case ok && d.Err == nil:
			existing = append(existing, i)
		case ok && !errors.Is(d.Err, kerr.UnknownTopicOrPartition):
			errs = append(errs, fmt.Errorf("provision topic %q: describe: %w", s.Name, d.Err))
		default:
			created, err := create(ctx, adm, s)
			switch {
			case errors.Is(err, kerr.TopicAlreadyExists):
				existing = append(existing, i) // created concurrently by another process
			case err != nil:
				errs = append(errs, fmt.Errorf("provision topic %q: create with %d partitions, replication factor %d: %w",
					s.Name, s.Partitions, s.ReplicationFactor, err))
			default:
				report.Topics[i].Action = Created
				report.Topics[i].Partitions = created
			}
		}
	}
	if len(existing) == 0 {
		return report, errors.Join(errs...)
	}

	verify := make([]string, len(existing))
	for j, i := range existing {
		verify[j] = specs[i].Name
	}
	details, configs, err := describe(ctx, adm, verify)
	if err != nil {
		return report, errors.Join(append(errs, err)...)
	}
	for _, i := range existing {
		if err := update(ctx, adm, specs[i], details[specs[i].Name], configs, o, &report.Topics[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return report, errors.Join(errs...)
}

// metadataLag bounds how long describe waits for a broker to know a topic
// that the controller already has (just created, here or by another process).
const metadataLag = 10 * time.Second

// describe returns the metadata and configs of existing topics. A broker
// applies the controller's metadata asynchronously, so a topic that was just
// created can still be unknown to it for a moment: describe asks again until
// every topic is known, for up to metadataLag.
func describe(ctx context.Context, adm *kadm.Client, topics []string) (kadm.TopicDetails, kadm.ResourceConfigs, error) {
	deadline := time.Now().Add(metadataLag)
	backoff := 50 * time.Millisecond
	for {
		details, err := adm.ListTopics(kadm.WithAuthorizedOps(ctx), topics...)
		if err != nil {
			return nil, nil, fmt.Errorf("provision topics: list existing topics: %w", err)
		}
		configs, err := adm.DescribeTopicConfigs(ctx, topics...)
		if err != nil {
			return nil, nil, fmt.Errorf("provision topics: describe configs: %w", err)
		}
		unknown := false
		for _, t := range topics {
			if errors.Is(details[t].Err, kerr.UnknownTopicOrPartition) {
				unknown = true
			}
			if rc, err := configs.On(t, nil); err != nil || errors.Is(rc.Err, kerr.UnknownTopicOrPartition) {
				unknown = true
			}
		}
		if !unknown || time.Now().After(deadline) {
			return details, configs, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("provision topics: wait for the broker to know topics %v: %w", topics, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// create creates one topic and returns its partition count.
func create(ctx context.Context, adm *kadm.Client, s schemas.TopicSpec) (int32, error) {
	configs := make(map[string]*string, len(s.Configs))
	for k, v := range s.Configs {
		configs[k] = kadm.StringPtr(v)
	}
	rf := s.ReplicationFactor
	if rf == 0 {
		rf = -1
	}
	resp, err := adm.CreateTopic(ctx, s.Partitions, rf, configs, s.Name)
	if err != nil {
		if resp.ErrMessage != "" {
			err = fmt.Errorf("%w: %s", err, resp.ErrMessage)
		}
		return 0, err
	}
	if resp.NumPartitions > 0 {
		return resp.NumPartitions, nil
	}
	return s.Partitions, nil
}

// update brings an existing topic to its spec and fills tr.
func update(ctx context.Context, adm *kadm.Client, s schemas.TopicSpec, d kadm.TopicDetail,
	configs kadm.ResourceConfigs, o options, tr *TopicReport) error {
	if d.Err != nil {
		return fmt.Errorf("provision topic %q: describe: %w", s.Name, d.Err)
	}
	have := int32(len(d.Partitions))
	tr.Partitions = have
	if rf := int(s.ReplicationFactor); rf > 0 && d.Partitions.NumReplicas() != rf {
		tr.Notes = append(tr.Notes, fmt.Sprintf("replication factor %d, spec %d (not changed: needs a partition reassignment)",
			d.Partitions.NumReplicas(), rf))
	}
	var errs []error
	switch {
	case s.Partitions > 0 && have > s.Partitions:
		tr.Notes = append(tr.Notes, fmt.Sprintf("%d partitions, spec %d (kept: partitions cannot be removed)", have, s.Partitions))
	case s.Partitions > 0 && have < s.Partitions && !o.growPartitions:
		errs = append(errs, fmt.Errorf("provision topic %q: has %d partitions, spec wants %d: growing moves identities between partitions, run with GrowPartitions to do it",
			s.Name, have, s.Partitions))
	case s.Partitions > 0 && have < s.Partitions:
		resps, err := adm.UpdatePartitions(ctx, int(s.Partitions), s.Name)
		if err == nil {
			err = resps.Error()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("provision topic %q: grow from %d to %d partitions: %w", s.Name, have, s.Partitions, err))
		} else {
			tr.GrewFrom, tr.Partitions = have, s.Partitions
			tr.Action = Updated
		}
	}

	rc, err := configs.On(s.Name, nil)
	if err == nil {
		err = rc.Err
	}
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("provision topic %q: describe configs: %w", s.Name, err))...)
	}
	current := make(map[string]string, len(rc.Configs))
	for _, c := range rc.Configs {
		current[c.Key] = c.MaybeValue()
	}
	var alter []kadm.AlterConfig
	var changes []ConfigChange
	for _, k := range slices.Sorted(maps.Keys(s.Configs)) {
		want := s.Configs[k]
		if old, ok := current[k]; ok && old == want {
			continue
		}
		alter = append(alter, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: kadm.StringPtr(want)})
		changes = append(changes, ConfigChange{Name: k, Old: current[k], New: want})
	}
	if len(alter) > 0 {
		resps, err := adm.AlterTopicConfigs(ctx, alter, s.Name)
		if err == nil {
			var r kadm.AlterConfigsResponse
			if r, err = resps.On(s.Name, nil); err == nil && r.Err != nil {
				err = r.Err
				if r.ErrMessage != "" {
					err = fmt.Errorf("%w: %s", err, r.ErrMessage)
				}
			}
		}
		if err != nil {
			names := make([]string, len(alter))
			for i, a := range alter {
				names[i] = a.Name
			}
			errs = append(errs, fmt.Errorf("provision topic %q: alter configs %s: %w", s.Name, strings.Join(names, ", "), err))
		} else {
			tr.Configs = changes
			tr.Action = Updated
		}
	}
	return errors.Join(errs...)
}

func duplicate(names []string) string {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return n
		}
		seen[n] = true
	}
	return ""
}
