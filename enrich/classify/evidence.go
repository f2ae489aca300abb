// Package classify gives every identity its class (ai_user, ai_builder,
// ai_agent, human, service) from the evidence its events accumulate: what
// the sources say about the principal, how it signs in and which clients
// it uses, whether the directory lists it as a person, and what it does
// with AI services (runs models, signs in to AI apps, builds models,
// manages AI platform keys). Evidence only accumulates, so a class is
// re-decided whenever a new kind of evidence arrives; each decision comes
// with a confidence and the evidence that made it, as short sentences.
package classify

import (
	"slices"
)

// Signal is one kind of evidence about an identity.
type Signal uint8

// Signals. The first group tells a person from a non-person (with the
// weights of humanness), the second what the identity does with AI.
const (
	// SourceHuman: the source reports a person (+3).
	SourceHuman Signal = iota
	// SourceService: the source reports a non-human principal (-3).
	SourceService
	// SourceAgent: the source reports an autonomous agent (-4).
	SourceAgent
	// DirectoryPerson: the customer's directory lists the identity as a
	// person's account (+4).
	DirectoryPerson
	// InteractiveSignIn: a sign-in with a password, SSO or MFA (+2).
	InteractiveSignIn
	// BrowserClient: requests from a web browser (+1).
	BrowserClient
	// PersonName: a name shaped like a person's, such as first.last (+1),
	// when the source does not say.
	PersonName
	// NonHumanType: a principal type that is never a person, such as
	// ServiceAccount (-3), when the source does not say.
	NonHumanType
	// ServiceName: a name shaped like a service account's, such as
	// svc-batch or deploy-bot (-2), when the source does not say.
	ServiceName
	// SDKClient: requests from an SDK, script or automation client (-1).
	SDKClient
	// MachineCredential: a credential issued to software: a static API
	// key, a workload identity (-1).
	MachineCredential

	// AIBuild: trains, registers, deploys or evaluates models, runs
	// notebooks or ML pipelines, builds agents.
	AIBuild
	// AIKeys: creates, rotates or reads API keys of an AI platform.
	AIKeys
	// AIInference: runs models.
	AIInference
	// AISignIn: signs in to an AI application.
	AISignIn
	// AIAct: acts through an AI service (tool calls, uploads, commits).
	AIAct
	// AIAdmin: administers an AI service; recorded, but does not make an
	// identity an AI identity by itself.
	AIAdmin
	// SharedCredential: one of the identity's credentials is used by
	// another principal, or from unrelated clients at once.
	SharedCredential

	numSignals
)

// info is what the classifier knows of each signal: its name in the
// changelog, its humanness weight, the confidence it gives an AI class,
// and the sentence it becomes in the evidence.
var info = [numSignals]struct {
	name   string
	weight int
	aiConf float64
	text   string
}{
	SourceHuman:       {"source_human", 3, 0, "source reports a person (%s)"},
	SourceService:     {"source_service", -3, 0, "source reports a non-human principal (%s)"},
	SourceAgent:       {"source_agent", -4, 0, "source reports an agent (%s)"},
	DirectoryPerson:   {"directory_person", 4, 0, "listed in the directory as %s"},
	InteractiveSignIn: {"interactive_signin", 2, 0, "signs in interactively (%s)"},
	BrowserClient:     {"browser_client", 1, 0, "uses a web browser (%s)"},
	PersonName:        {"person_name", 1, 0, "has a person's name (%s)"},
	NonHumanType:      {"non_human_type", -3, 0, "non-human principal type (%s)"},
	ServiceName:       {"service_name", -2, 0, "has a service account's name (%s)"},
	SDKClient:         {"sdk_client", -1, 0, "calls APIs from an SDK or script (%s)"},
	MachineCredential: {"machine_credential", -1, 0, "authenticates with a machine credential (%s)"},
	AIBuild:           {"ai_build", 0, 0.9, "builds AI on %s"},
	AIKeys:            {"ai_keys", 0, 0.8, "manages API keys of %s"},
	AIInference:       {"ai_inference", 0, 0.95, "runs models on %s"},
	AISignIn:          {"ai_signin", 0, 0.9, "signs in to %s"},
	AIAct:             {"ai_act", 0, 0.85, "acts through %s"},
	AIAdmin:           {"ai_admin", 0, 0, "administers %s"},
	SharedCredential:  {"shared_credential", 0, 0, "shares a credential: %s"},
}

// String returns the signal's name, as the changelog stores it.
func (s Signal) String() string {
	if s < numSignals {
		return info[s].name
	}
	return "unknown"
}

// SignalByName returns the signal of a name String returned.
func SignalByName(name string) (Signal, bool) {
	for s := range numSignals {
		if info[s].name == name {
			return s, true
		}
	}
	return 0, false
}

// Fact is one piece of evidence: a signal and the detail of its first
// occurrence (a service and action, a client, a principal type).
type Fact struct {
	Signal Signal
	Detail string
}

// Evidence is what an identity's events have shown so far: at most one
// fact per signal. The zero value holds nothing. It is not safe for
// concurrent use.
type Evidence struct {
	set   uint32
	facts []Fact
	// checked marks one-time checks done on this identity (the shape of
	// its name): not evidence, and not persisted.
	checked uint8
}

// Has reports whether the evidence holds signal s.
func (e *Evidence) Has(s Signal) bool { return e.set&(1<<s) != 0 }

// Add records signal s with its detail, unless it is already there, and
// reports whether it was new.
func (e *Evidence) Add(s Signal, detail string) bool {
	if s >= numSignals || e.set&(1<<s) != 0 {
		return false
	}
	e.set |= 1 << s
	e.facts = append(e.facts, Fact{Signal: s, Detail: detail})
	return true
}

// Facts returns the facts in the order they were added. The slice must
// not be modified.
func (e *Evidence) Facts() []Fact { return e.facts }

// Len returns the number of facts.
func (e *Evidence) Len() int { return len(e.facts) }

// Set restores evidence from facts (as persisted); facts of unknown or
// repeated signals are skipped.
func (e *Evidence) Set(facts []Fact) {
	e.set, e.facts = 0, e.facts[:0]
	for _, f := range facts {
		e.Add(f.Signal, f.Detail)
	}
}

// Clone returns a copy that shares nothing with e.
func (e *Evidence) Clone() Evidence {
	return Evidence{set: e.set, facts: slices.Clone(e.facts), checked: e.checked}
}

// Humanness returns the sum of the humanness weights of the evidence:
// positive for a person, negative for a non-person, zero when unknown.
func (e *Evidence) Humanness() int {
	score := 0
	for _, f := range e.facts {
		score += info[f.Signal].weight
	}
	return score
}
