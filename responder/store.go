package responder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// JetStream key-value buckets of the responder.
const (
	// BucketActions holds one Action per action id: the idempotency record
	// checked before every connector call, the approvals and the audit
	// trail.
	BucketActions = "aitdr_response_actions"
	// BucketAlerts holds one AlertRecord per alert: the plan, the time to
	// respond and the disposition.
	BucketAlerts = "aitdr_response_alerts"
)

// ErrNotFound is returned by the Store for an action or alert it does not
// hold.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when an action is not in a state the operation
// needs, such as approving an action that is not pending.
var ErrConflict = errors.New("conflict")

// errUnchanged makes an update function leave the record as it is.
var errUnchanged = errors.New("unchanged")

// StoreConfig is how the buckets are provisioned.
type StoreConfig struct {
	// Replicas of the buckets in a NATS cluster. Default 1.
	Replicas int
	// TTL is how long a record is kept after its last change. It must
	// outlive the alert stream's retention, so that a redelivered alert
	// still finds its record. Default 30 days.
	TTL time.Duration
}

// Store is the responder's durable state in JetStream key-value buckets:
// actions and alerts, each changed only by compare-and-set on its revision,
// so that responders and analysts changing one record at once never lose a
// change. It is safe for concurrent use.
type Store struct {
	actions, alerts jetstream.KeyValue
	now             func() time.Time
}

// OpenStore creates or updates the buckets and returns the store on them.
func OpenStore(ctx context.Context, js jetstream.JetStream, cfg StoreConfig) (*Store, error) {
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 30 * 24 * time.Hour
	}
	s := &Store{now: time.Now}
	for _, b := range []struct {
		name, desc string
		kv         *jetstream.KeyValue
	}{
		{BucketActions, "aitdr responder: response actions, their approvals and audit trail", &s.actions},
		{BucketAlerts, "aitdr responder: alert plans, time to respond and dispositions", &s.alerts},
	} {
		kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: b.name, Description: b.desc, History: 1, TTL: cfg.TTL,
			Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
		})
		if err != nil {
			return nil, fmt.Errorf("open key-value bucket %s: %w", b.name, err)
		}
		*b.kv = kv
	}
	return s, nil
}

var plainKeyRe = regexp.MustCompile(`^[A-Za-z0-9_=-][A-Za-z0-9_=.-]{0,200}[A-Za-z0-9_=-]$`)

// alertKey is the bucket key of an alert id: the id itself when it is a
// valid key, else a hash of it.
func alertKey(id string) string {
	if plainKeyRe.MatchString(id) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "h-" + hex.EncodeToString(sum[:16])
}

func actionKey(id string) (string, error) {
	if !plainKeyRe.MatchString(id) {
		return "", fmt.Errorf("action id %q: %w", id, ErrNotFound)
	}
	return id, nil
}

// get reads key into v and returns its revision.
func get(ctx context.Context, kv jetstream.KeyValue, key string, v any) (uint64, error) {
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, fmt.Errorf("%s %s: %w", kv.Bucket(), key, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("read %s %s: %w", kv.Bucket(), key, err)
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return 0, fmt.Errorf("decode %s %s: %w", kv.Bucket(), key, err)
	}
	return e.Revision(), nil
}

// create writes v under key unless the key exists; created is false then.
func create(ctx context.Context, kv jetstream.KeyValue, key string, v any) (created bool, err error) {
	data, err := json.Marshal(v)
	if err != nil {
		return false, fmt.Errorf("encode %s %s: %w", kv.Bucket(), key, err)
	}
	_, err = kv.Create(ctx, key, data)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create %s %s: %w", kv.Bucket(), key, err)
	}
	return true, nil
}

// update applies fn to the record under key and writes it if the key has
// not changed since it was read, retrying on a concurrent change. fn
// returning errUnchanged leaves the record; another error is returned.
func update[T any](ctx context.Context, kv jetstream.KeyValue, key string, fn func(*T) error) (*T, error) {
	for attempt := 0; ; attempt++ {
		v := new(T)
		rev, err := get(ctx, kv, key, v)
		if err != nil {
			return nil, err
		}
		if err := fn(v); errors.Is(err, errUnchanged) {
			return v, nil
		} else if err != nil {
			return v, err
		}
		data, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", kv.Bucket(), key, err)
		}
		_, err = kv.Update(ctx, key, data, rev)
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) || attempt >= 100 {
			return nil, fmt.Errorf("update %s %s: %w", kv.Bucket(), key, err)
		}
	}
}

// Action returns the action with id.
func (s *Store) Action(ctx context.Context, id string) (*Action, error) {
	key, err := actionKey(id)
	if err != nil {
		return nil, err
	}
	a := new(Action)
	if _, err := get(ctx, s.actions, key, a); err != nil {
		return nil, err
	}
	return a, nil
}

// Alert returns the record of alert id.
func (s *Store) Alert(ctx context.Context, id string) (*AlertRecord, error) {
	r := new(AlertRecord)
	if _, err := get(ctx, s.alerts, alertKey(id), r); err != nil {
		return nil, err
	}
	return r, nil
}

// createAction stores a unless an action with its id exists.
func (s *Store) createAction(ctx context.Context, a *Action) error {
	key, err := actionKey(a.ID)
	if err != nil {
		return err
	}
	_, err = create(ctx, s.actions, key, a)
	return err
}

// createAlert stores r unless the alert has a record; it returns the
// record that holds, r or the one found.
func (s *Store) createAlert(ctx context.Context, r *AlertRecord) (*AlertRecord, bool, error) {
	created, err := create(ctx, s.alerts, alertKey(r.ID), r)
	if err != nil || created {
		return r, created, err
	}
	found, err := s.Alert(ctx, r.ID)
	return found, false, err
}

func (s *Store) updateAction(ctx context.Context, id string, fn func(*Action) error) (*Action, error) {
	key, err := actionKey(id)
	if err != nil {
		return nil, err
	}
	return update(ctx, s.actions, key, fn)
}

func (s *Store) updateAlert(ctx context.Context, id string, fn func(*AlertRecord) error) (*AlertRecord, error) {
	return update(ctx, s.alerts, alertKey(id), fn)
}

// scan calls fn with every record of kv until fn returns false. It reads
// the bucket through one watch, not one request per key.
func scan[T any](ctx context.Context, kv jetstream.KeyValue, fn func(*T) bool) error {
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("scan %s: %w", kv.Bucket(), err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-w.Updates():
			if !ok || e == nil {
				return nil // the nil entry ends the current values
			}
			v := new(T)
			if err := json.Unmarshal(e.Value(), v); err != nil {
				continue // not ours; nothing to show
			}
			if !fn(v) {
				return nil
			}
		}
	}
}

// Actions calls fn with every stored action until it returns false.
func (s *Store) Actions(ctx context.Context, fn func(*Action) bool) error {
	return scan(ctx, s.actions, fn)
}

// Alerts calls fn with every stored alert record until it returns false.
func (s *Store) Alerts(ctx context.Context, fn func(*AlertRecord) bool) error {
	return scan(ctx, s.alerts, fn)
}

// Pending returns the actions waiting for approval, oldest first.
func (s *Store) Pending(ctx context.Context) ([]*Action, error) {
	var out []*Action
	err := s.Actions(ctx, func(a *Action) bool {
		if a.Status == StatusPending {
			out = append(out, a)
		}
		return true
	})
	slices.SortFunc(out, func(a, b *Action) int { return a.RequestedAt.Compare(b.RequestedAt) })
	return out, err
}

// targets returns the actions id names: the action, or every action of
// the alert id names, in step order.
func (s *Store) targets(ctx context.Context, id string) ([]string, error) {
	if _, err := s.Action(ctx, id); err == nil {
		return []string{id}, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	rec, err := s.Alert(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%q is neither an action id nor an alert id: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return rec.actionIDs(), nil
}

// Approve approves the pending action id, or every pending action of the
// alert id, on behalf of who. A running responder then runs them. It
// returns the approved actions; an action id that is not pending is
// ErrConflict.
func (s *Store) Approve(ctx context.Context, id, who, note string) ([]*Action, error) {
	return s.decide(ctx, id, who, note, StatusApproved)
}

// Deny denies the pending action id, or every pending action of the alert
// id, on behalf of who.
func (s *Store) Deny(ctx context.Context, id, who, note string) ([]*Action, error) {
	return s.decide(ctx, id, who, note, StatusDenied)
}

func (s *Store) decide(ctx context.Context, id, who, note string, to ActionStatus) ([]*Action, error) {
	if who == "" {
		return nil, errors.New("an approver name is required")
	}
	ids, err := s.targets(ctx, id)
	if err != nil {
		return nil, err
	}
	single := len(ids) == 1 && ids[0] == id
	var out []*Action
	for _, aid := range ids {
		changed := false
		a, err := s.updateAction(ctx, aid, func(a *Action) error {
			changed = false // a retried update starts over
			if a.Status != StatusPending {
				if single {
					return fmt.Errorf("action %s is %s, not pending: %w", aid, a.Status, ErrConflict)
				}
				return errUnchanged
			}
			a.Approver, a.Note = who, note
			a.transition(to, s.now().UTC(), who, note, "")
			changed = true
			return nil
		})
		if err != nil {
			return out, err
		}
		if changed {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("alert %s has no pending action: %w", id, ErrConflict)
	}
	return out, nil
}

// RequestRollback asks for the action id to be undone on behalf of who:
// it stores the rollback the connector returned as an approved action,
// which a running responder runs, and returns it as stored. Asking again
// returns the same rollback as it stands.
// An action that did not succeed, was a dry run, or has no rollback is
// ErrConflict.
func (s *Store) RequestRollback(ctx context.Context, id, who, note string) (*Action, error) {
	if who == "" {
		return nil, errors.New("a requester name is required")
	}
	orig, err := s.Action(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case orig.RollbackOf != "":
		return nil, fmt.Errorf("action %s is itself a rollback: %w", id, ErrConflict)
	case orig.RolledBackBy != "":
		return s.Action(ctx, orig.RolledBackBy)
	case orig.Status != StatusSucceeded:
		return nil, fmt.Errorf("action %s is %s; only a succeeded action can be rolled back: %w", id, orig.Status, ErrConflict)
	case orig.DryRun:
		return nil, fmt.Errorf("action %s was a dry run: nothing to roll back: %w", id, ErrConflict)
	case orig.Undo == nil:
		return nil, fmt.Errorf("action %s: connector %s returned no rollback for %s: %w", id, orig.Connector, orig.Kind, ErrConflict)
	}
	now := s.now().UTC()
	rb := &Action{
		ID: rollbackID(orig.ID), AlertID: orig.AlertID, RuleID: orig.RuleID, Severity: orig.Severity,
		Class: orig.Class, Playbook: orig.Playbook, Step: orig.Step + ".rollback", Index: orig.Index,
		Connector: orig.Connector, Kind: orig.Undo.Kind, Principal: orig.Undo.Principal, Tenant: orig.Tenant,
		Params: orig.Undo.Params, Timeout: orig.Timeout, Retries: orig.Retries, RequestedAt: now,
		RollbackOf: orig.ID, Approver: who, Note: note,
	}
	if rb.Kind == "" {
		rb.Kind = orig.Kind
	}
	rb.transition(StatusApproved, now, who, note, "")
	created, err := create(ctx, s.actions, rb.ID, rb)
	if err != nil {
		return nil, err
	}
	if !created { // asked twice at once: the first one stands
		return s.Action(ctx, rb.ID)
	}
	if _, err := s.updateAlert(ctx, orig.AlertID, func(r *AlertRecord) error {
		if slices.Contains(r.Rollbacks, rb.ID) {
			return errUnchanged
		}
		r.Rollbacks = append(r.Rollbacks, rb.ID)
		return nil
	}); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return rb, nil
}
