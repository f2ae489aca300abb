package simulate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// Background risks the simulator plants on purpose, outside any scenario:
// real risks an alert may rightly name, counted apart from attacks and
// from false positives (see docs/eval.md).
const (
	// RiskShadowAI is a person signing in to unsanctioned AI services with
	// a corporate account (Population.ShadowShare).
	RiskShadowAI = "shadow_ai"
	// RiskPersonalAccount is AI use under a person's personal account.
	RiskPersonalAccount = "personal_account"
	// RiskSharedCredential is one agent credential used by several agents
	// (Population.SharedCredentials).
	RiskSharedCredential = "shared_credential"
)

// riskTags are the rule tags that name each background risk: an alert
// counts as detecting a planted risk only when its rule says it is about
// that risk.
var riskTags = map[string]string{
	RiskShadowAI:         "shadow_ai",
	RiskPersonalAccount:  "personal_account_ai",
	RiskSharedCredential: "shared_credentials",
}

// Alert is what the scorecard needs of one alert the pipeline raised (a
// row of the alerts table).
type Alert struct {
	// ID is the alert id.
	ID string `json:"alert_id"`
	// RuleID is the rule that fired.
	RuleID string `json:"rule_id"`
	// Tags are the alert's finding types: the rule's kind and tags.
	Tags []string `json:"tags,omitempty"`
	// Severity is the alert's severity.
	Severity string `json:"severity,omitempty"`
	// IdentityID and IdentityClass are the identity the alert names.
	IdentityID    string                `json:"identity_id"`
	IdentityClass schemas.IdentityClass `json:"identity_class,omitempty"`
	// Created is the wall time the rules stage created the alert.
	Created time.Time `json:"created"`
	// Start and End are the event times of the oldest and newest evidence
	// events; End is the time of the event that fired the rule.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// EvidenceIDs are the event ids of the evidence.
	EvidenceIDs []string `json:"evidence_event_ids,omitempty"`
}

// Response is one alert whose containment finished (a row of the
// response_times table).
type Response struct {
	// AlertID is the alert contained.
	AlertID string
	// AlertAt is when the alert was created, ContainedAt when its last
	// containment step succeeded; both wall times.
	AlertAt, ContainedAt time.Time
	// DryRun is true when the steps only reported what they would do.
	DryRun bool
}

// Delivery is what became of the simulated records.
type Delivery struct {
	// Sent is the number of records the broker acknowledged.
	Sent int64 `json:"sent"`
	// Stored is the number of their event ids found in the events table.
	Stored int64 `json:"stored"`
	// Lost is Sent - Stored: records whose event never reached the store.
	Lost int64 `json:"lost"`
	// LostSample holds up to MaxLostSample of the lost event ids.
	LostSample []string `json:"lost_sample,omitempty"`
	// DeadLetters is the number of records on the dead-letter topic.
	DeadLetters int64 `json:"dead_letters"`
}

// MaxLostSample bounds Delivery.LostSample.
const MaxLostSample = 20

// Observed is what the pipeline made of a simulation.
type Observed struct {
	// Alerts are every alert raised.
	Alerts []Alert
	// Responses are the contained alerts.
	Responses []Response
	// Produced maps each simulated record's event id to the wall time the
	// broker acknowledged it: the start of the pipeline's clock for that
	// event.
	Produced map[string]time.Time
	// Delivery is what became of the records.
	Delivery Delivery
}

// ScoreOptions tune the matching of alerts to labels.
type ScoreOptions struct {
	// Slack is how long after an instance's last event an alert on its
	// identity still counts as detecting it.
	Slack time.Duration
}

// Percentiles summarize a set of durations.
type Percentiles struct {
	// N is the number of durations.
	N int
	// P50, P95 and Max are the median, the 95th percentile (nearest rank)
	// and the largest.
	P50, P95, Max time.Duration
}

// MarshalJSON writes the durations as milliseconds.
func (p Percentiles) MarshalJSON() ([]byte, error) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return json.Marshal(struct {
		N     int     `json:"n"`
		P50ms float64 `json:"p50_ms"`
		P95ms float64 `json:"p95_ms"`
		MaxMs float64 `json:"max_ms"`
	}{p.N, ms(p.P50), ms(p.P95), ms(p.Max)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Percentiles) UnmarshalJSON(b []byte) error {
	var v struct {
		N     int     `json:"n"`
		P50ms float64 `json:"p50_ms"`
		P95ms float64 `json:"p95_ms"`
		MaxMs float64 `json:"max_ms"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("percentiles: %w", err)
	}
	d := func(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
	*p = Percentiles{N: v.N, P50: d(v.P50ms), P95: d(v.P95ms), Max: d(v.MaxMs)}
	return nil
}

// String is "p50 … p95 …", or "-" for no durations.
func (p Percentiles) String() string {
	if p.N == 0 {
		return "-"
	}
	return fmt.Sprintf("p50 %s p95 %s", roundDuration(p.P50), roundDuration(p.P95))
}

// roundDuration keeps three significant digits or so.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute)
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// percentiles returns the nearest-rank percentiles of ds.
func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.999999) - 1 // ceil(q*n) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return Percentiles{N: len(s), P50: rank(0.5), P95: rank(0.95), Max: s[len(s)-1]}
}

// Scorecard is how well the pipeline caught the labelled attacks of a
// simulation, how much it raised besides, how fast it detected and
// contained, and whether it lost events.
type Scorecard struct {
	// Instances and Detected count the labelled scenario instances and
	// those at least one alert matched; Recall is Detected / Instances.
	Instances int     `json:"instances"`
	Detected  int     `json:"detected"`
	Recall    float64 `json:"recall"`
	// Scenarios are the figures per scenario kind, in ScenarioKinds order.
	Scenarios []ScenarioScore `json:"scenarios"`
	// Alerts counts the alerts by what they matched.
	Alerts AlertCounts `json:"alerts"`
	// Precision is the share of alerts that name a real risk: an attack or
	// a planted background risk. FPRate is the share that names neither.
	Precision float64 `json:"precision"`
	FPRate    float64 `json:"fp_rate"`
	// Identities is the number of simulated identities; FalseIdentities
	// those with at least one false alert.
	Identities      int `json:"identities"`
	FalseIdentities int `json:"false_identities"`
	// BackgroundRisks say, per planted background risk, how many of its
	// holders an alert named it for.
	BackgroundRisks []RiskScore `json:"background_risks"`
	// Rules are the figures per rule that raised alerts, most alerts first.
	Rules []RuleScore `json:"rules"`
	// TimeToDetect is the event-to-alert latency of each detected
	// instance: from the wall time the broker acknowledged the newest
	// evidence event of the first matching alert to the alert's creation.
	TimeToDetect Percentiles `json:"time_to_detect"`
	// TimeToRespond is, per contained instance, from the wall time the
	// newest evidence event of the first contained matching alert entered
	// the broker to the end of its containment.
	TimeToRespond Percentiles `json:"time_to_respond"`
	// AlertToAction is, over every contained alert, from its creation to
	// the end of its containment.
	AlertToAction Percentiles `json:"alert_to_action"`
	// Delivery is what became of the simulated records.
	Delivery Delivery `json:"delivery"`
	// Missed are the instances no alert matched.
	Missed []MissedInstance `json:"missed,omitempty"`
	// FalseAlerts are up to MaxFalseAlerts of the alerts that matched
	// nothing, for tuning.
	FalseAlerts []Alert `json:"false_alerts,omitempty"`
	// Slack is the matching slack used.
	Slack time.Duration `json:"-"`
}

// MaxFalseAlerts bounds Scorecard.FalseAlerts.
const MaxFalseAlerts = 200

// ScenarioScore are the figures of one scenario kind.
type ScenarioScore struct {
	// Scenario is the scenario kind.
	Scenario string `json:"scenario"`
	// Instances and Detected count its instances and the detected ones.
	Instances int     `json:"instances"`
	Detected  int     `json:"detected"`
	Recall    float64 `json:"recall"`
	// Rules are the rules whose alerts matched its instances, with the
	// number of instances each matched, most first.
	Rules []RuleHits `json:"rules"`
	// TimeToDetect is the event-to-alert latency (wall time) per detected
	// instance; SimTimeToDetect how far into the attack, in simulated
	// time, the first matching alert's firing event came.
	TimeToDetect    Percentiles `json:"time_to_detect"`
	SimTimeToDetect Percentiles `json:"sim_time_to_detect"`
	// Responded counts the instances with a contained matching alert, and
	// TimeToRespond their time to respond (see Scorecard.TimeToRespond).
	Responded     int         `json:"responded"`
	TimeToRespond Percentiles `json:"time_to_respond"`
}

// RuleHits is one rule's share of a scenario's detections.
type RuleHits struct {
	Rule      string `json:"rule"`
	Instances int    `json:"instances"`
}

// AlertCounts count alerts by what they matched.
type AlertCounts struct {
	// Total is every alert.
	Total int `json:"total"`
	// Attack is the alerts matching a labelled instance.
	Attack int `json:"attack"`
	// Background is the alerts naming a planted background risk, and
	// BackgroundByRisk the same per risk.
	Background       int            `json:"background_risk"`
	BackgroundByRisk map[string]int `json:"background_by_risk,omitempty"`
	// False is the alerts matching neither.
	False int `json:"false"`
}

// RiskScore is how many holders of a planted background risk (people
// for shadow AI and personal accounts, credentials for shared ones) have
// at least one alert, of any kind, whose rule is tagged with the risk on
// one of their identities.
type RiskScore struct {
	Risk    string `json:"risk"`
	Holders int    `json:"holders"`
	Named   int    `json:"named"`
}

// RuleScore are the figures of one rule.
type RuleScore struct {
	Rule       string  `json:"rule"`
	Alerts     int     `json:"alerts"`
	Attack     int     `json:"attack"`
	Background int     `json:"background_risk"`
	False      int     `json:"false"`
	Precision  float64 `json:"precision"`
}

// MissedInstance is a labelled instance no alert matched.
type MissedInstance struct {
	Instance   string    `json:"instance"`
	Scenario   string    `json:"scenario"`
	IdentityID string    `json:"identity_id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
}

// Floors are the least a scorecard must reach; Check names what it
// misses.
type Floors struct {
	// Recall is the lowest overall recall accepted; 0 checks nothing.
	// Default 0.95.
	Recall float64 `yaml:"recall"`
	// FPRate is the highest false-positive rate accepted; 1 checks
	// nothing. Default 0.05.
	FPRate float64 `yaml:"fp_rate"`
	// TTRP95 is the highest time-to-respond p95 accepted; 0 checks
	// nothing. Default 10s.
	TTRP95 time.Duration `yaml:"ttr_p95"`
	// Lost is the most events accepted lost; -1 checks nothing. Default 0.
	Lost int64 `yaml:"lost"`
}

// DefaultFloors are the targets: recall at least 95%, false
// positives under 5%, time to respond p95 within 10 s, nothing lost.
func DefaultFloors() Floors {
	return Floors{Recall: 0.95, FPRate: 0.05, TTRP95: 10 * time.Second, Lost: 0}
}

// Validate returns the problems of f, each naming its field under prefix.
func (f Floors) Validate(prefix string) []error {
	var errs []error
	if f.Recall < 0 || f.Recall > 1 {
		errs = append(errs, &FieldError{Path: prefix + "recall", Problem: fmt.Sprintf("%g must be from 0 to 1", f.Recall)})
	}
	if f.FPRate < 0 || f.FPRate > 1 {
		errs = append(errs, &FieldError{Path: prefix + "fp_rate", Problem: fmt.Sprintf("%g must be from 0 to 1", f.FPRate)})
	}
	if f.TTRP95 < 0 {
		errs = append(errs, &FieldError{Path: prefix + "ttr_p95", Problem: fmt.Sprintf("%s must not be negative", f.TTRP95)})
	}
	if f.Lost < -1 {
		errs = append(errs, &FieldError{Path: prefix + "lost", Problem: fmt.Sprintf("%d must be -1 (off) or at least 0", f.Lost)})
	}
	return errs
}

// Check returns one line per floor the scorecard misses; none when it
// reaches them all. A time-to-respond floor with nothing contained is
// missed: it cannot be shown to hold.
func (s *Scorecard) Check(f Floors) []string {
	var out []string
	if f.Recall > 0 && s.Recall < f.Recall {
		out = append(out, fmt.Sprintf("recall %.3f is below the floor %.3f", s.Recall, f.Recall))
	}
	if f.FPRate < 1 && s.FPRate > f.FPRate {
		out = append(out, fmt.Sprintf("false-positive rate %.3f is above the ceiling %.3f", s.FPRate, f.FPRate))
	}
	if f.TTRP95 > 0 {
		switch {
		case s.TimeToRespond.N == 0:
			out = append(out, fmt.Sprintf("time to respond: no detected instance was contained, so p95 <= %s cannot be shown", f.TTRP95))
		case s.TimeToRespond.P95 > f.TTRP95:
			out = append(out, fmt.Sprintf("time to respond p95 %s is above the ceiling %s", roundDuration(s.TimeToRespond.P95), f.TTRP95))
		}
	}
	if f.Lost >= 0 && s.Delivery.Lost > f.Lost {
		out = append(out, fmt.Sprintf("%d events lost, more than %d", s.Delivery.Lost, f.Lost))
	}
	return out
}

// Score matches the alerts of a run to the labelled instances of its
// simulation and to the background risks of its ground truth:
//
//   - an alert detects an instance when it names the instance's identity
//     and its firing event's time (Alert.End) falls within the instance's
//     span extended by opts.Slack, or when its evidence holds one of the
//     instance's events;
//   - an alert that detects no instance names a background risk when its
//     identity carries that risk in the ground truth and its rule is
//     tagged with it (shadow_ai, personal_account_ai, shared_credentials);
//   - every other alert is a false positive.
//
// Times to detect and respond start at the wall time the broker
// acknowledged the alert's newest evidence event (Observed.Produced), so
// they measure the pipeline, not the simulated history's age.
func Score(labels []Label, truth Truth, obs Observed, opts ScoreOptions) Scorecard {
	sc := Scorecard{Slack: opts.Slack, Delivery: obs.Delivery, Alerts: AlertCounts{BackgroundByRisk: map[string]int{}}}
	risks := backgroundRisks(truth)
	sc.Identities = len(truthIdentities(truth))

	// Which labels hold each event, and each identity's labels.
	byEvent := map[string][]int{}
	byIdentity := map[string][]int{}
	for i, l := range labels {
		for _, e := range l.Events {
			byEvent[e.EventID] = append(byEvent[e.EventID], i)
		}
		byIdentity[l.IdentityID] = append(byIdentity[l.IdentityID], i)
	}
	responses := map[string]Response{}
	for _, r := range obs.Responses {
		if prev, ok := responses[r.AlertID]; !ok || r.ContainedAt.Before(prev.ContainedAt) {
			responses[r.AlertID] = r
		}
	}

	// Alerts in creation order, so the first match of an instance is the
	// earliest alert.
	alerts := slices.Clone(obs.Alerts)
	slices.SortStableFunc(alerts, func(a, b Alert) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	matches := make([][]int, len(labels)) // alert indexes per label
	rules := map[string]*RuleScore{}
	falseIdentities := map[string]bool{}
	for ai := range alerts {
		a := &alerts[ai]
		rs := rules[a.RuleID]
		if rs == nil {
			rs = &RuleScore{Rule: a.RuleID}
			rules[a.RuleID] = rs
		}
		rs.Alerts++
		sc.Alerts.Total++
		hit := map[int]bool{}
		for _, id := range a.EvidenceIDs {
			for _, li := range byEvent[id] {
				hit[li] = true
			}
		}
		for _, li := range byIdentity[a.IdentityID] {
			l := &labels[li]
			if !a.End.Before(l.Start) && !a.End.After(l.End.Add(opts.Slack)) {
				hit[li] = true
			}
		}
		if len(hit) > 0 {
			for _, li := range slices.Sorted(maps.Keys(hit)) {
				matches[li] = append(matches[li], ai)
			}
			rs.Attack++
			sc.Alerts.Attack++
			continue
		}
		if risk := risks.match(a); risk != "" {
			rs.Background++
			sc.Alerts.Background++
			sc.Alerts.BackgroundByRisk[risk]++
			continue
		}
		rs.False++
		sc.Alerts.False++
		falseIdentities[a.IdentityID] = true
		if len(sc.FalseAlerts) < MaxFalseAlerts {
			sc.FalseAlerts = append(sc.FalseAlerts, *a)
		}
	}
	sc.FalseIdentities = len(falseIdentities)
	sc.BackgroundRisks = namedRisks(truth, alerts)
	if sc.Alerts.Total > 0 {
		sc.FPRate = float64(sc.Alerts.False) / float64(sc.Alerts.Total)
		sc.Precision = 1 - sc.FPRate
	} else {
		sc.Precision = 1
	}
	for _, rs := range rules {
		rs.Precision = float64(rs.Attack+rs.Background) / float64(rs.Alerts)
		sc.Rules = append(sc.Rules, *rs)
	}
	slices.SortFunc(sc.Rules, func(a, b RuleScore) int {
		return cmp.Or(cmp.Compare(b.Alerts, a.Alerts), strings.Compare(a.Rule, b.Rule))
	})

	// Per scenario kind, in the documented order, then any other kind.
	type acc struct {
		score         ScenarioScore
		ttd, sim, ttr []time.Duration
		rules         map[string]int
	}
	kinds := map[string]*acc{}
	order := ScenarioKinds()
	var allTTD, allTTR []time.Duration
	for li := range labels {
		l := &labels[li]
		k := kinds[l.Scenario]
		if k == nil {
			k = &acc{score: ScenarioScore{Scenario: l.Scenario}, rules: map[string]int{}}
			kinds[l.Scenario] = k
			if !slices.Contains(order, l.Scenario) {
				order = append(order, l.Scenario)
			}
		}
		k.score.Instances++
		sc.Instances++
		if len(matches[li]) == 0 {
			sc.Missed = append(sc.Missed, MissedInstance{Instance: l.Instance, Scenario: l.Scenario, IdentityID: l.IdentityID, Start: l.Start, End: l.End})
			continue
		}
		k.score.Detected++
		sc.Detected++
		seen := map[string]bool{}
		for _, ai := range matches[li] {
			if r := alerts[ai].RuleID; !seen[r] {
				seen[r] = true
				k.rules[r]++
			}
		}
		first := &alerts[matches[li][0]]
		if d, ok := pipelineDelay(first, first.Created, obs.Produced); ok {
			k.ttd = append(k.ttd, d)
			allTTD = append(allTTD, d)
		}
		k.sim = append(k.sim, max(first.End.Sub(l.Start), 0))
		// The first containment among the matching alerts ends the attack.
		var contained *Alert
		var resp Response
		for _, ai := range matches[li] {
			r, ok := responses[alerts[ai].ID]
			if ok && (contained == nil || r.ContainedAt.Before(resp.ContainedAt)) {
				contained, resp = &alerts[ai], r
			}
		}
		if contained != nil {
			k.score.Responded++
			if d, ok := pipelineDelay(contained, resp.ContainedAt, obs.Produced); ok {
				k.ttr = append(k.ttr, d)
				allTTR = append(allTTR, d)
			}
		}
	}
	for _, kind := range order {
		k := kinds[kind]
		if k == nil {
			continue
		}
		s := k.score
		s.Recall = ratio(s.Detected, s.Instances)
		s.TimeToDetect = percentiles(k.ttd)
		s.SimTimeToDetect = percentiles(k.sim)
		s.TimeToRespond = percentiles(k.ttr)
		for r, n := range k.rules {
			s.Rules = append(s.Rules, RuleHits{Rule: r, Instances: n})
		}
		slices.SortFunc(s.Rules, func(a, b RuleHits) int {
			return cmp.Or(cmp.Compare(b.Instances, a.Instances), strings.Compare(a.Rule, b.Rule))
		})
		sc.Scenarios = append(sc.Scenarios, s)
	}
	sc.Recall = ratio(sc.Detected, sc.Instances)
	sc.TimeToDetect = percentiles(allTTD)
	sc.TimeToRespond = percentiles(allTTR)
	var a2a []time.Duration
	for _, r := range responses {
		a2a = append(a2a, max(r.ContainedAt.Sub(r.AlertAt), 0))
	}
	sc.AlertToAction = percentiles(a2a)
	return sc
}

// ratio is n/of, or 1 when there is nothing to count (no instance is
// missed when none was injected).
func ratio(n, of int) float64 {
	if of == 0 {
		return 1
	}
	return float64(n) / float64(of)
}

// pipelineDelay is the time from the broker's acknowledgement of a's
// newest evidence event (the newest one produced at or before until) to
// until; false when no evidence event has a produce time.
func pipelineDelay(a *Alert, until time.Time, produced map[string]time.Time) (time.Duration, bool) {
	var newest time.Time
	for _, id := range a.EvidenceIDs {
		if t, ok := produced[id]; ok && !t.After(until) && t.After(newest) {
			newest = t
		}
	}
	if newest.IsZero() {
		return 0, false
	}
	return until.Sub(newest), true
}

// riskIndex holds the identities of each planted background risk.
type riskIndex map[string]map[string]bool

// backgroundRisks indexes the ground truth's planted risks by identity.
func backgroundRisks(t Truth) riskIndex {
	idx := riskIndex{RiskShadowAI: {}, RiskPersonalAccount: {}, RiskSharedCredential: {}}
	for _, p := range t.People {
		if len(p.ShadowServices) > 0 {
			for _, id := range p.Identities {
				idx[RiskShadowAI][id] = true
			}
		}
		for _, id := range p.PersonalIdentities {
			idx[RiskPersonalAccount][id] = true
		}
	}
	for _, a := range t.Agents {
		if len(a.SharedWith) > 0 {
			idx[RiskSharedCredential][a.IdentityID] = true
		}
	}
	return idx
}

// match returns the background risk a names, or "".
func (idx riskIndex) match(a *Alert) string {
	for _, risk := range []string{RiskShadowAI, RiskPersonalAccount, RiskSharedCredential} {
		if idx[risk][a.IdentityID] && slices.Contains(a.Tags, riskTags[risk]) {
			return risk
		}
	}
	return ""
}

// namedRisks counts, per planted risk, its holders and those an alert
// tagged with the risk names.
func namedRisks(t Truth, alerts []Alert) []RiskScore {
	holder := map[string]map[string]string{RiskShadowAI: {}, RiskPersonalAccount: {}, RiskSharedCredential: {}}
	for _, p := range t.People {
		if len(p.ShadowServices) > 0 {
			for _, id := range p.Identities {
				holder[RiskShadowAI][id] = p.PersonID
			}
		}
		for _, id := range p.PersonalIdentities {
			holder[RiskPersonalAccount][id] = p.PersonID
		}
	}
	for _, a := range t.Agents {
		if len(a.SharedWith) > 0 {
			holder[RiskSharedCredential][a.IdentityID] = a.IdentityID
		}
	}
	var out []RiskScore
	for _, risk := range []string{RiskShadowAI, RiskPersonalAccount, RiskSharedCredential} {
		holders, named := map[string]bool{}, map[string]bool{}
		for _, h := range holder[risk] {
			holders[h] = true
		}
		for i := range alerts {
			if h, ok := holder[risk][alerts[i].IdentityID]; ok && slices.Contains(alerts[i].Tags, riskTags[risk]) {
				named[h] = true
			}
		}
		out = append(out, RiskScore{Risk: risk, Holders: len(holders), Named: len(named)})
	}
	return out
}

// truthIdentities returns every identity id of the ground truth.
func truthIdentities(t Truth) map[string]bool {
	ids := map[string]bool{}
	for _, p := range t.People {
		for _, id := range p.Identities {
			ids[id] = true
		}
		for _, id := range p.PersonalIdentities {
			ids[id] = true
		}
	}
	for _, a := range t.Agents {
		ids[a.IdentityID] = true
	}
	for _, s := range t.Services {
		ids[s.IdentityID] = true
	}
	return ids
}
