package nats_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	aitdrnats "github.com/aitdr/aitdr/deploy/nats"
	"github.com/aitdr/aitdr/internal/natstest"
	"github.com/aitdr/aitdr/schemas"
)

// uniqueSpecs returns the pipeline's stream specs renamed for this test, so
// runs against a shared server do not collide.
func uniqueSpecs(t *testing.T) []schemas.StreamSpec {
	suffix := fmt.Sprintf("T%d", time.Now().UnixNano())
	var specs []schemas.StreamSpec
	for _, s := range (schemas.StreamLayout{}).Specs() {
		s.Name += "_" + suffix
		for i, subj := range s.Subjects {
			s.Subjects[i] = suffix + "." + subj
		}
		specs = append(specs, s)
	}
	return specs
}

// TestProvisionIsIdempotent shows that the first run creates every stream,
// the second changes nothing, and a drifted stream is put back to its spec.
func TestProvisionIsIdempotent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc := natstest.Connect(t, natstest.Server(t))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	specs := uniqueSpecs(t)
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	t.Cleanup(func() {
		for _, n := range names {
			_ = js.DeleteStream(context.Background(), n)
		}
	})

	first, err := aitdrnats.Provision(ctx, js, specs)
	if err != nil {
		t.Fatalf("first provision: %v", err)
	}
	if !slices.Equal(first.Created, names) || len(first.Updated)+len(first.Unchanged) != 0 {
		t.Fatalf("first provision = %+v, want all of %v created", first, names)
	}
	second, err := aitdrnats.Provision(ctx, js, specs)
	if err != nil {
		t.Fatalf("second provision: %v", err)
	}
	if !slices.Equal(second.Unchanged, names) || len(second.Created)+len(second.Updated) != 0 {
		t.Fatalf("second provision = %+v, want all of %v unchanged", second, names)
	}

	// An operator shortens the retention of one stream by hand.
	stream, err := js.Stream(ctx, names[0])
	if err != nil {
		t.Fatal(err)
	}
	drifted := stream.CachedInfo().Config
	drifted.MaxAge = time.Hour
	if _, err := js.UpdateStream(ctx, drifted); err != nil {
		t.Fatal(err)
	}
	third, err := aitdrnats.Provision(ctx, js, specs)
	if err != nil {
		t.Fatalf("third provision: %v", err)
	}
	if !slices.Equal(third.Updated, names[:1]) {
		t.Fatalf("third provision = %+v, want %s updated", third, names[0])
	}
	info, err := js.Stream(ctx, names[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := info.CachedInfo().Config.MaxAge; got != specs[0].MaxAge {
		t.Fatalf("max age after correction = %s, want %s", got, specs[0].MaxAge)
	}
}

// TestProvisionedStreamDeduplicates shows that an alert re-published with
// the same message id is stored once, which the responder's at-least-once
// consumption relies on.
func TestProvisionedStreamDeduplicates(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc := natstest.Connect(t, natstest.Server(t))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	specs := uniqueSpecs(t)[:1]
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), specs[0].Name) })
	if _, err := aitdrnats.Provision(ctx, js, specs); err != nil {
		t.Fatal(err)
	}
	subject := specs[0].Subjects[0][:len(specs[0].Subjects[0])-1] + "critical.ai_agent"
	for range 3 {
		if _, err := js.Publish(ctx, subject, []byte(`{"class_uid":2004}`), jetstream.WithMsgID("alert-1")); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	stream, err := js.Stream(ctx, specs[0].Name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages after 3 publishes of one id, want 1", info.State.Msgs)
	}
}
