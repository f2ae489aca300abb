package stage

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// JetStream publishes alerts to NATS JetStream on
// aitdr.alerts.<severity>.<identity class>, each with its alert id as
// Nats-Msg-Id so that the stream stores a re-published alert once. It is
// safe for concurrent use.
type JetStream struct {
	js jetstream.JetStream
	// stream is the stream that acknowledged the last publish.
	stream atomic.Pointer[string]
}

var _ AlertSink = (*JetStream)(nil)

// NewJetStream returns a sink publishing with js.
func NewJetStream(js jetstream.JetStream) *JetStream { return &JetStream{js: js} }

// Publish publishes every alert asynchronously and waits for all the
// acknowledgements; it returns the failures joined.
func (s *JetStream) Publish(ctx context.Context, alerts []Outgoing) error {
	futures := make([]jetstream.PubAckFuture, 0, len(alerts))
	var errs []error
	for _, o := range alerts {
		msg := nats.NewMsg(o.Alert.Subject())
		msg.Data = o.JSON
		msg.Header.Set(schemas.HeaderNATSMsgID, o.Alert.ID)
		msg.Header.Set(schemas.HeaderContentType, ocsf.ContentType)
		for k, v := range o.Trace {
			msg.Header.Set(k, v)
		}
		f, err := s.js.PublishMsgAsync(msg)
		if err != nil {
			errs = append(errs, fmt.Errorf("publish alert %s on %s: %w", o.Alert.ID, msg.Subject, err))
			continue
		}
		futures = append(futures, f)
	}
	for _, f := range futures {
		select {
		case ack := <-f.Ok():
			if ack != nil && (s.stream.Load() == nil || *s.stream.Load() != ack.Stream) {
				s.stream.Store(&ack.Stream)
			}
		case err := <-f.Err():
			errs = append(errs, fmt.Errorf("publish alert %s on %s: %w", f.Msg().Header.Get(schemas.HeaderNATSMsgID), f.Msg().Subject, err))
		case <-ctx.Done():
			return errors.Join(append(errs, fmt.Errorf("publish alerts: %w", ctx.Err()))...)
		}
	}
	return errors.Join(errs...)
}

// Stream returns the JetStream stream that acknowledged the last publish,
// or before any, schemas.StreamAlerts, where nats.provision puts the alert
// subjects; the stage names it in its warnings when publishing fails. It
// is safe for concurrent use.
func (s *JetStream) Stream() string {
	if name := s.stream.Load(); name != nil && *name != "" {
		return *name
	}
	return schemas.StreamAlerts
}
