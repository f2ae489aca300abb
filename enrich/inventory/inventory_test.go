package inventory_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aitdr/aitdr/enrich/classify"
	"github.com/aitdr/aitdr/enrich/inventory"
	"github.com/aitdr/aitdr/schemas"
)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

func event(i int, target string) *schemas.Event {
	return &schemas.Event{
		Time: t0.Add(time.Duration(i) * time.Minute),
		Identity: schemas.Principal{
			ID: "aws:123456789012:role/agent", Provider: "aws", Account: "123456789012",
			CredentialID: fmt.Sprintf("ASIA%04d", i%40),
		},
		Session: schemas.Session{CredentialType: schemas.CredentialSessionToken},
		Action:  schemas.Action{Name: "InvokeModel", Category: schemas.CategoryModelInference},
		Target: schemas.Target{
			Type: "model", ID: target, Tenant: "123456789012",
			Environment: schemas.EnvProduction, Sensitivity: schemas.SensitivityInternal,
		},
		Outcome: schemas.OutcomeSuccess,
		AI:      schemas.AIContext{Model: target},
	}
}

// TestFold shows the inventory row counts events, keeps first and last seen
// in event time (whatever the order events arrive in), and bounds every
// list, counting targets beyond the bound.
func TestFold(t *testing.T) {
	s := inventory.New("aws:123456789012:role/agent", 2)
	for i := 150; i >= 0; i-- {
		ai := inventory.AIService{Provider: "aws", Service: "bedrock", Status: schemas.AIServiceSanctioned, Model: fmt.Sprintf("model-%d", i)}
		ev := event(i, fmt.Sprintf("model-%d", i))
		if i%10 == 0 {
			ev.Outcome = schemas.OutcomeFailure
		}
		s.Fold(ev, schemas.AccountCorporate, ai, nil)
	}
	s.Prepare()
	id := &s.Identity
	if id.Events != 151 || id.Failures != 16 || id.EventsByCategory["model_inference"] != 151 {
		t.Errorf("counts: events %d failures %d by category %v", id.Events, id.Failures, id.EventsByCategory)
	}
	if !id.FirstSeen.Equal(t0) || !id.LastSeen.Equal(t0.Add(150*time.Minute)) {
		t.Errorf("first %s last %s", id.FirstSeen, id.LastSeen)
	}
	if len(id.Targets) != schemas.MaxIdentityTargets || id.TargetsTotal != 151 {
		t.Errorf("%d targets, total %d", len(id.Targets), id.TargetsTotal)
	}
	if len(id.AIServices) != 1 || id.AIServices[0].Events != 151 || len(id.AIServices[0].Models) != schemas.MaxIdentityList {
		t.Errorf("ai services %+v", id.AIServices)
	}
	if len(s.Credentials) != schemas.MaxIdentityList {
		t.Errorf("%d credentials kept", len(s.Credentials))
	}
	if id.AccountType != schemas.AccountCorporate || len(id.Accounts) != 1 ||
		!reflect.DeepEqual(id.CredentialTypes, []schemas.CredentialType{schemas.CredentialSessionToken}) ||
		!reflect.DeepEqual(id.Environments, []schemas.Environment{schemas.EnvProduction}) ||
		!reflect.DeepEqual(id.Tenants, []string{"123456789012"}) {
		t.Errorf("row %+v", id)
	}
	s.Prepare()
	for i := 1; i < len(id.Targets); i++ {
		if id.Targets[i].LastSeen.After(id.Targets[i-1].LastSeen) {
			t.Fatalf("targets not most recent first at %d", i)
		}
	}
	// The targets kept are the most recent ones.
	if id.Targets[0].ID != "model-150" || id.Targets[len(id.Targets)-1].ID != "model-51" {
		t.Errorf("targets kept: %s .. %s", id.Targets[0].ID, id.Targets[len(id.Targets)-1].ID)
	}
	if err := id.Validate(); err != nil {
		t.Errorf("inventory row does not validate: %v", err)
	}
}

// TestAccountType shows the row is personal when any account is, and
// corporate only when all are.
func TestAccountType(t *testing.T) {
	s := inventory.New("x", 0)
	ev := event(0, "m")
	s.Fold(ev, schemas.AccountCorporate, inventory.AIService{}, inventory.NewInterner(10))
	ev.Identity.Account, ev.Identity.Provider = "other", "okta"
	s.Fold(ev, schemas.AccountUnknown, inventory.AIService{}, nil)
	if s.Identity.AccountType != schemas.AccountUnknown {
		t.Errorf("corporate + unknown = %s", s.Identity.AccountType)
	}
	ev.Identity.Account = "third"
	s.Fold(ev, schemas.AccountPersonal, inventory.AIService{}, nil)
	if s.Identity.AccountType != schemas.AccountPersonal {
		t.Errorf("with a personal account = %s", s.Identity.AccountType)
	}
}

func fullState(t *testing.T) *inventory.State {
	s := inventory.New("aws:123456789012:role/agent", 3)
	for i := range 5 {
		s.Fold(event(i, fmt.Sprintf("model-%d", i%2)), schemas.AccountCorporate,
			inventory.AIService{Provider: "aws", Service: "bedrock", Status: schemas.AIServiceSanctioned, Model: "m"}, nil)
	}
	s.Evidence.Add(classify.SourceService, "aws AssumedRole")
	s.Evidence.Add(classify.AIInference, "Amazon Bedrock (InvokeModel)")
	r := classify.Decide(&s.Evidence, s.Identity.Events)
	s.Identity.Class, s.Identity.ClassConfidence, s.Identity.ClassEvidence = r.Class, r.Confidence, r.Evidence
	s.Identity.Owner, s.Identity.Team, s.Identity.PeerGroup = "marco@acme.example", "support", "ai_agent/support"
	s.Offset = 4711
	s.Prepare()
	return s
}

// TestChangelogValue shows the changelog value is a schemas.Identity for
// any reader of the contract (the ClickHouse sink), and restores the whole
// state, internal part included, for the stage.
func TestChangelogValue(t *testing.T) {
	s := fullState(t)
	b, _, err := inventory.Marshal(nil, nil, s)
	if err != nil {
		t.Fatal(err)
	}
	var id schemas.Identity
	if err := schemas.DecodeIdentity("", b, &id); err != nil {
		t.Fatalf("the changelog value is not a schemas.Identity: %v", err)
	}
	if !reflect.DeepEqual(id, s.Identity) {
		t.Errorf("decoded identity\n%+v\nwant\n%+v", id, s.Identity)
	}
	if err := id.Validate(); err != nil {
		t.Errorf("identity does not validate: %v", err)
	}

	got := &inventory.State{Partition: 3}
	if err := inventory.Unmarshal(b, got); err != nil {
		t.Fatal(err)
	}
	if got.Offset != 4711 || got.Partition != 3 || !reflect.DeepEqual(got.Identity, s.Identity) ||
		!reflect.DeepEqual(got.Evidence.Facts(), s.Evidence.Facts()) || !reflect.DeepEqual(got.Credentials, s.Credentials) {
		t.Errorf("restored\n%+v\nwant\n%+v", got, s)
	}

	// A plain schemas.Identity (another producer's) restores with no
	// internal part.
	plain, err := schemas.AppendIdentity(nil, &s.Identity)
	if err != nil {
		t.Fatal(err)
	}
	var bare inventory.State
	if err := inventory.Unmarshal(plain, &bare); err != nil || bare.Offset != -1 || bare.Evidence.Len() != 0 || bare.Identity.ID != s.Identity.ID {
		t.Errorf("plain identity: %v %+v", err, bare)
	}
}

// TestUnmarshalRejects shows corrupt values are errors, not panics.
func TestUnmarshalRejects(t *testing.T) {
	b, _, err := inventory.Marshal(nil, nil, fullState(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{0, 1, len(b) / 2, len(b) - 1} {
		var s inventory.State
		if err := inventory.Unmarshal(b[:cut], &s); err == nil {
			t.Errorf("a value cut at %d of %d decoded", cut, len(b))
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	b, _, err := inventory.Marshal(nil, nil, fullState(&testing.T{}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s inventory.State
		if err := inventory.Unmarshal(data, &s); err != nil {
			return
		}
		// What decodes encodes again, and decodes to the same.
		again, _, err := inventory.Marshal(nil, nil, &s)
		if err != nil {
			return // a decoded row may hold values the encoder refuses
		}
		var s2 inventory.State
		if err := inventory.Unmarshal(again, &s2); err != nil {
			t.Fatalf("re-encoded state does not decode: %v", err)
		}
		if s2.Offset != s.Offset || s2.Identity.ID != s.Identity.ID || s2.Evidence.Len() != s.Evidence.Len() {
			t.Fatalf("round trip changed the state")
		}
	})
}
