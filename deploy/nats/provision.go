// Package nats provisions the pipeline's JetStream streams on a NATS server
// or cluster, embedded or external.
package nats

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/aitdr/aitdr/schemas"
)

// Report says what Provision changed.
type Report struct {
	// Created lists the streams that did not exist.
	Created []string
	// Updated lists the streams whose configuration was corrected.
	Updated []string
	// Unchanged lists the streams that already matched their spec.
	Unchanged []string
}

// Provision makes every stream match its spec: missing streams are created,
// drifted ones updated (subjects, max age, duplicate window, replicas),
// matching ones left alone. It is idempotent and safe to run at every start.
func Provision(ctx context.Context, js jetstream.JetStream, specs []schemas.StreamSpec) (Report, error) {
	var report Report
	for _, spec := range specs {
		want := jetstream.StreamConfig{
			Name:       spec.Name,
			Subjects:   spec.Subjects,
			Retention:  jetstream.LimitsPolicy,
			Storage:    jetstream.FileStorage,
			MaxAge:     spec.MaxAge,
			Duplicates: spec.DuplicateWindow,
			Replicas:   spec.Replicas,
		}
		stream, err := js.Stream(ctx, spec.Name)
		switch {
		case errors.Is(err, jetstream.ErrStreamNotFound):
			if _, err := js.CreateStream(ctx, want); err != nil {
				return report, fmt.Errorf("create stream %s: %w", spec.Name, err)
			}
			report.Created = append(report.Created, spec.Name)
			continue
		case err != nil:
			return report, fmt.Errorf("look up stream %s: %w", spec.Name, err)
		}
		have := stream.CachedInfo().Config
		if slices.Equal(have.Subjects, want.Subjects) && have.MaxAge == want.MaxAge &&
			have.Duplicates == want.Duplicates && have.Replicas == want.Replicas {
			report.Unchanged = append(report.Unchanged, spec.Name)
			continue
		}
		// Keep settings an operator tuned that the spec does not name.
		have.Subjects, have.MaxAge, have.Duplicates, have.Replicas = want.Subjects, want.MaxAge, want.Duplicates, want.Replicas
		if _, err := js.UpdateStream(ctx, have); err != nil {
			return report, fmt.Errorf("update stream %s: %w", spec.Name, err)
		}
		report.Updated = append(report.Updated, spec.Name)
	}
	return report, nil
}
