package schemas_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// TestValidate shows which events break the contract and that Validate
// names every broken field by its JSON path.
func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(e *schemas.Event)
		want   []string // fields reported, in order; none means valid
	}{
		{"golden event is valid", func(*schemas.Event) {}, nil},
		{"event without identity is valid", func(e *schemas.Event) { e.Identity = schemas.Principal{} }, nil},
		{"unknown enum values", func(e *schemas.Event) {
			e.Identity.Kind = "robot"
			e.Action.Category = "mining"
			e.Enrichment.Class = "ai_overlord"
		}, []string{"identity.kind", "action.category", "enrichment.class"}},
		{"missing required fields", func(e *schemas.Event) {
			e.ID = ""
			e.Time = time.Time{}
			e.Action.Name = ""
			e.Outcome = ""
		}, []string{"id", "time", "action.name", "outcome"}},
		{"product not of the product form", func(e *schemas.Event) { e.Source.Product = "AWS GuardDuty" }, []string{"source.product"}},
		{"schema version from the future", func(e *schemas.Event) { e.SchemaVersion = 2 }, []string{"schema_version"}},
		{"negative volume", func(e *schemas.Event) { e.Volume.TokensIn = -1 }, []string{"volume.tokens_in"}},
		{"finding out of range", func(e *schemas.Event) {
			e.AI.Findings = []schemas.DataFinding{{Type: schemas.DataAPIKey, Count: 1, Confidence: 1.5}, {Count: 1, Confidence: 0.5}}
		}, []string{"ai.findings[0].confidence", "ai.findings[1].type"}},
		{"too many finding locations", func(e *schemas.Event) {
			e.AI.Findings = []schemas.DataFinding{{Type: schemas.DataEmailAddress, Count: 9, Confidence: 0.9,
				Locations: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}}}
		}, []string{"ai.findings[0].locations"}},
		{"non-finite features", func(e *schemas.Event) {
			e.Features.TokensRatio.H1 = math.Inf(1)
			e.Features.HourTypicality = math.NaN()
		}, []string{"features.tokens_ratio.1h", "features.hour_typicality"}},
		{"class confidence above one", func(e *schemas.Event) { e.Enrichment.ClassConfidence = 93 }, []string{"enrichment.class_confidence"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := scoredAgent(t)
			tt.change(e)
			err := e.Validate()
			var got []string
			for _, err := range joined(err) {
				var fe *schemas.FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("Validate returned %T %v, want *FieldError", err, err)
				}
				got = append(got, fe.Field)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Validate() reported %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}

// joined returns the errors joined in err.
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// TestFieldError shows the text of a field error.
func TestFieldError(t *testing.T) {
	err := &schemas.FieldError{Field: "identity.kind", Problem: `unknown value "robot"`}
	if got, want := err.Error(), `identity.kind: unknown value "robot"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestEnums shows that every listed enum value is valid, that a value not
// listed is not, that values decode from text without allocating, and that
// the lists are copies callers cannot corrupt.
func TestEnums(t *testing.T) {
	// Products are open: a deployment names its own mapped sources.
	for _, p := range []schemas.Product{"aws.guardduty", "acme.audit", "vault_audit-2"} {
		if !p.Valid() || p.IsBuiltin() {
			t.Errorf("custom product %q: valid %v, built-in %v; want valid and not built-in", p, p.Valid(), p.IsBuiltin())
		}
	}
	for _, p := range []schemas.Product{"", "Acme", ".hidden", "a b", schemas.Product(strings.Repeat("a", 65))} {
		if p.Valid() {
			t.Errorf("product %q is valid, want not", p)
		}
	}
	checkEnum(t, "Product", schemas.Products(), "AWS GuardDuty")
	checkEnum(t, "IdentityKind", schemas.IdentityKinds(), "robot")
	checkEnum(t, "AccountType", schemas.AccountTypes(), "shared")
	checkEnum(t, "CredentialType", schemas.CredentialTypes(), "smart_card")
	checkEnum(t, "Verb", schemas.Verbs(), "fine_tune")
	checkEnum(t, "Category", schemas.Categories(), "mining")
	checkEnum(t, "Outcome", schemas.Outcomes(), "partial")
	checkEnum(t, "Environment", schemas.Environments(), "production")
	checkEnum(t, "Sensitivity", schemas.Sensitivities(), "secret")
	checkEnum(t, "IdentityClass", schemas.IdentityClasses(), "robot")
	checkEnum(t, "AIServiceStatus", schemas.AIServiceStatuses(), "blocked")
	checkEnum(t, "RawFormat", schemas.RawFormats(), "xml")

	t.Run("lists are copies", func(t *testing.T) {
		v := schemas.Verbs()
		v[0] = "hacked"
		if schemas.Verbs()[0] != schemas.VerbCreate || !schemas.VerbCreate.Valid() {
			t.Error("changing the returned list changed the package's list")
		}
	})
	t.Run("sensitivity ranks", func(t *testing.T) {
		order := []schemas.Sensitivity{schemas.SensitivityUnknown, schemas.SensitivityPublic, schemas.SensitivityInternal,
			schemas.SensitivityConfidential, schemas.SensitivityRestricted}
		for i := 1; i < len(order); i++ {
			if order[i].Rank() <= order[i-1].Rank() {
				t.Errorf("%s ranks %d, not above %s (%d)", order[i], order[i].Rank(), order[i-1], order[i-1].Rank())
			}
		}
	})
}

type enumValue interface {
	~string
	Valid() bool
	IsZero() bool
	AppendText([]byte) ([]byte, error)
}

func checkEnum[T enumValue, P interface {
	*T
	UnmarshalText([]byte) error
}](t *testing.T, name string, values []T, unknown T) {
	t.Run(name, func(t *testing.T) {
		if len(values) == 0 {
			t.Fatal("no values")
		}
		for _, v := range values {
			if !v.Valid() || v.IsZero() {
				t.Errorf("%q: Valid() = %v, IsZero() = %v", v, v.Valid(), v.IsZero())
			}
			text, err := v.AppendText(nil)
			if err != nil || string(text) != string(v) {
				t.Errorf("%q: AppendText = %q, %v", v, text, err)
			}
			var got T
			allocs := testing.AllocsPerRun(10, func() { _ = P(&got).UnmarshalText(text) })
			if got != v || allocs != 0 {
				t.Errorf("%q: UnmarshalText gave %q with %v allocations, want the constant and none", v, got, allocs)
			}
		}
		if unknown.Valid() {
			t.Errorf("%q is valid, want not", unknown)
		}
		var got T
		if err := P(&got).UnmarshalText([]byte(unknown)); err != nil || got != unknown {
			t.Errorf("UnmarshalText(%q) = %q, %v: an unknown value must be kept", unknown, got, err)
		}
		var zero T
		if zero.Valid() || !zero.IsZero() {
			t.Error("the empty value must be zero and not valid")
		}
	})
}

// TestValidateIdentity shows which inventory rows break the contract,
// including lists over their bounds.
func TestValidateIdentity(t *testing.T) {
	tests := []struct {
		name   string
		change func(id *schemas.Identity)
		want   []string
	}{
		{"golden identity is valid", func(*schemas.Identity) {}, nil},
		{"no id, last seen before first seen", func(id *schemas.Identity) {
			id.ID = ""
			id.LastSeen = id.FirstSeen.Add(-time.Hour)
		}, []string{"id", "last_seen"}},
		{"unknown values", func(id *schemas.Identity) {
			id.Class = "robot"
			id.Targets[1].Sensitivity = "secret"
			id.Environments = append(id.Environments, "production")
		}, []string{"class", "targets[1].sensitivity", "environments[1]"}},
		{"lists over their bounds", func(id *schemas.Identity) {
			id.Targets = make([]schemas.TargetUse, schemas.MaxIdentityTargets+1)
			for i := range id.Targets {
				id.Targets[i].ID = "t"
			}
			id.Tenants = make([]string, schemas.MaxIdentityList+1)
		}, []string{"targets", "tenants"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := identityFixture()
			tt.change(id)
			var got []string
			for _, err := range joined(id.Validate()) {
				var fe *schemas.FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("Validate returned %T %v, want *FieldError", err, err)
				}
				got = append(got, fe.Field)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Validate() reported %q, want %q", got, tt.want)
			}
		})
	}
}
