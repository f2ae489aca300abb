package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aitdr/aitdr/rules/atlas"
	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/ocsf"
)

// Alert is one firing of a rule: the OCSF Detection Finding and what the
// stage needs to route it.
type Alert struct {
	// ID is the alert id: a digest of the rule id, the dedup key and the
	// first evidence event id, so that a replayed firing gets the same id
	// and deduplicates (Kafka consumers, NATS Nats-Msg-Id, ClickHouse).
	ID string
	// Rule is the rule that fired.
	Rule *Rule
	// Severity is the alert's severity (the rule's, or severity_expr's).
	Severity Severity
	// IdentityID and IdentityClass are those of the event that fired.
	IdentityID    string
	IdentityClass schemas.IdentityClass
	// DedupKey is the key the rule fired for.
	DedupKey string
	// SuppressedCount is the number of firings for DedupKey held back
	// since the previous alert for it.
	SuppressedCount int64
	// EvidenceIDs are the ids of the evidence events, oldest first.
	EvidenceIDs []string
	// Time is the event time of the event that fired.
	Time time.Time
	// Finding is the alert as an OCSF Detection Finding.
	Finding *ocsf.DetectionFinding
}

// JSON returns the finding as JSON, as it travels on the alerts topic and
// NATS.
func (a *Alert) JSON() ([]byte, error) {
	b, err := json.Marshal(a.Finding)
	if err != nil {
		return nil, fmt.Errorf("encode alert %s of rule %s: %w", a.ID, a.Rule.ID, err)
	}
	return b, nil
}

// Subject returns the NATS subject of the alert:
// aitdr.alerts.<severity>.<identity class>.
func (a *Alert) Subject() string {
	class := string(a.IdentityClass)
	if class == "" {
		class = string(schemas.ClassUnknown)
	}
	return schemas.SubjectAlerts + "." + subjectToken(string(a.Severity)) + "." + subjectToken(class)
}

// subjectToken keeps a NATS subject token to letters, digits, - and _.
func subjectToken(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// AlertID returns the id of an alert of rule for dedup key key whose first
// evidence event is firstEvidence: 32 hex digits of a SHA-256 digest.
func AlertID(rule, key, firstEvidence string) string {
	h := sha256.New()
	h.Write([]byte(rule))
	h.Write([]byte{0})
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(firstEvidence))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// buildAlert makes the alert of r firing on ev with evidence refs.
func (e *Engine) buildAlert(r *Rule, ev *schemas.Event, refs []evidenceRef, dedup string, suppressed int64, count int) *Alert {
	sev := r.Severity
	if r.severityExpr != nil {
		if out, ok := e.value(r, r.severityExpr, ev); ok {
			if s := Severity(strings.ToLower(formatValue(out))); s.Valid() {
				sev = s
			}
		}
	}
	id := AlertID(r.ID, dedup, refs[0].id)
	f := ocsf.New(id, r.Title, e.now(), sev.OCSF())
	f.SetAnalytic(r.ID, r.Title, r.Version, r.analyticType())
	f.FindingInfo.Analytic.Category = firstTag(r.Spec.Tags)
	f.FindingInfo.Types = append([]string{string(r.Type)}, r.Spec.Tags...)
	f.Metadata.Labels = r.Spec.Tags
	f.Message = e.render(r, r.title, ev, r.Title)
	f.FindingInfo.Desc = e.render(r, r.summary, ev, r.Description)
	for _, t := range r.ATLAS {
		technique := ocsf.Technique{UID: t.ID, Name: t.Name}
		if len(t.Tactics) == 0 {
			f.AddAttack(technique, ocsf.Tactic{}, "ATLAS "+atlas.Version)
		}
		for _, tac := range t.Tactics {
			f.AddAttack(technique, ocsf.Tactic{UID: tac, Name: atlas.TacticName(tac)}, "ATLAS "+atlas.Version)
		}
	}
	for _, id := range r.ATTACK {
		f.AddAttack(ocsf.Technique{UID: id}, ocsf.Tactic{}, "ATT&CK")
	}
	ids := make([]string, 0, len(refs))
	for i, ref := range refs {
		ids = append(ids, ref.id)
		if i >= maxEvidence {
			continue
		}
		if ref.id == ev.ID {
			f.AddEvidence(ev)
			continue
		}
		// State keeps an evidence event's id, time and action only; the
		// rest of the identity is the firing event's (same group).
		f.AddEvidence(&schemas.Event{
			ID:         ref.id,
			Time:       time.Unix(0, ref.t).UTC(),
			Source:     schemas.Source{Product: ev.Source.Product},
			Identity:   ev.Identity,
			Action:     schemas.Action{Name: ref.action},
			Enrichment: ev.Enrichment,
		})
	}
	if len(ids) > maxEvidence {
		f.Unmapped.AITDR.EvidenceEventIDs = ids
	}
	f.Count = max(count, len(refs))
	if r.Spec.Runbook != "" || len(r.Spec.References) > 0 {
		f.Remediation = ocsf.Remediation{Desc: strings.TrimSpace(r.Spec.Runbook), References: r.Spec.References}
	}
	ext := &f.Unmapped.AITDR
	ext.Playbook = r.Spec.Response
	ext.DedupKey = dedup
	ext.SuppressedCount = suppressed
	for _, fr := range r.features {
		v := fr.value(&ev.Features)
		if v == 0 {
			continue
		}
		b := ocsf.BaselineBreak{Feature: fr.name, Observed: v}
		if strings.Contains(fr.name, "ratio") {
			// A ratio is observed against a normal of 1.
			b.Baseline, b.Ratio = 1, v
		}
		ext.Baselines = append(ext.Baselines, b)
	}
	return &Alert{
		ID:              id,
		Rule:            r,
		Severity:        sev,
		IdentityID:      ev.Identity.ID,
		IdentityClass:   ev.Enrichment.Class,
		DedupKey:        dedup,
		SuppressedCount: suppressed,
		EvidenceIDs:     ids,
		Time:            ev.Time,
		Finding:         f,
	}
}

func firstTag(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	return tags[0]
}

// render fills a template from ev; an empty template gives def.
func (e *Engine) render(r *Rule, t template, ev *schemas.Event, def string) string {
	if len(t.parts) == 0 {
		return def
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.prog == nil {
			b.WriteString(p.text)
			continue
		}
		v, ok := e.value(r, p.prog, ev)
		if !ok {
			b.WriteString("?")
			continue
		}
		b.WriteString(formatValue(v))
	}
	return b.String()
}
