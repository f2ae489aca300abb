// Package catalog is the AI service catalog: the AI services and APIs the
// enrich stage recognizes in events (by the AI context ingest set, the API
// host, the audit-log action, or the application name an identity provider
// shows), what using each one means (inference, sign-in, building,
// managing keys, administering), and whether it is sanctioned.
//
// aitdr ships a versioned catalog (catalog.yaml, embedded); deployments add
// their own files and sanction or unsanction services by id. Every file is
// validated at load: well-formed entries, no id, alias, app name, host or
// action claimed twice; a problem is reported with file:line:col.
package catalog

import (
	"regexp"
	"slices"
	"strings"

	"github.com/aitdr/aitdr/internal/glob"
)

// Kind is what sort of AI service an entry is.
type Kind string

// Kinds of AI services.
const (
	// KindSaaSApp is an AI application people sign in to (ChatGPT, Claude).
	KindSaaSApp Kind = "saas_app"
	// KindAPI is a model API called with keys (OpenAI API, Gemini API).
	KindAPI Kind = "api"
	// KindPlatform is a cloud AI platform that serves models and builds
	// them (Bedrock, Vertex AI, Azure OpenAI).
	KindPlatform Kind = "platform"
	// KindMLPlatform is where models are built: training, registries,
	// notebooks, pipelines (SageMaker, Azure ML, Databricks, Kubeflow).
	// Signing in to one counts as building.
	KindMLPlatform Kind = "ml_platform"
	// KindGateway is an AI gateway or router in front of model APIs.
	KindGateway Kind = "gateway"
	// KindIDEAssistant is a coding assistant (GitHub Copilot, Cursor).
	KindIDEAssistant Kind = "ide_assistant"
)

var kinds = []Kind{KindSaaSApp, KindAPI, KindPlatform, KindMLPlatform, KindGateway, KindIDEAssistant}

// Use is what an event's use of an AI service means for its identity.
type Use string

// Uses, from the audit-log action (or, without an action rule, the event's
// category).
const (
	// UseInference runs a model: a prompt, a completion, an embedding.
	UseInference Use = "inference"
	// UseSignIn signs in to an AI application.
	UseSignIn Use = "signin"
	// UseAct acts through an AI service: a tool call, an upload to a chat,
	// an assistant's commit.
	UseAct Use = "act"
	// UseBuild trains, registers, deploys or evaluates models, runs
	// notebooks and ML pipelines, builds agents and knowledge bases.
	UseBuild Use = "build"
	// UseKeys creates, rotates or reads API keys of an AI platform.
	UseKeys Use = "keys"
	// UseAdmin administers an AI service (seats, settings, model access)
	// without using it.
	UseAdmin Use = "admin"
)

var uses = []Use{UseInference, UseSignIn, UseAct, UseBuild, UseKeys, UseAdmin}

// Kinds returns every kind of service.
func Kinds() []Kind { return slices.Clone(kinds) }

// Uses returns every use.
func Uses() []Use { return slices.Clone(uses) }

// Service is one AI service of the catalog. It is immutable once loaded.
type Service struct {
	// ID is the stable, lower-case id: the service name in the inventory.
	ID string
	// Provider is who runs the service, lower case ("openai", "aws").
	Provider string
	// Name is the display name.
	Name string
	// Kind is what sort of service it is.
	Kind Kind
	// Sanctioned is whether the customer sanctions the service: the
	// catalog's default, then the deployment's lists.
	Sanctioned bool
	// AI are the names ingest gives the service in ai.provider/ai.service:
	// "provider/service", or one word matched as a service, then as a
	// provider.
	AI []string
	// Apps are application names as identity providers show them; "*" is
	// any run of characters; matched case-insensitively.
	Apps []string
	// Hosts are the service's API and web hosts; "*" is any run of
	// characters; lower case.
	Hosts []string
	// Actions are audit-log actions that mean using the service.
	Actions []ActionRule
	// File, Line are where the entry is defined.
	File string
	Line int
}

// ActionRule is a set of audit-log actions of one source that mean one use
// of a service.
type ActionRule struct {
	// Source is the event's action.service: a CloudTrail eventSource, a
	// GCP serviceName, a Kubernetes API group, an Azure resource provider.
	Source string
	// Names are action names; "*" is any run of characters.
	Names []string
	// Use is what the actions mean.
	Use Use
}

// Match is a service an event used, and how.
type Match struct {
	// Service is the catalog entry.
	Service *Service
	// Use is what the event's use means; empty when only the service is
	// known (by its host, alias or application) and the caller derives the
	// use from the event.
	Use Use
}

// Catalog is a loaded, validated catalog with its lookup indexes. It is
// immutable and safe for concurrent use.
type Catalog struct {
	version  string
	files    []string
	services []*Service
	byID     map[string]*Service
	aiPair   map[aiKey]*Service
	aiWord   map[string]*Service
	apps     glob.Table[*Service]
	hosts    glob.Table[*Service]
	actions  map[string]*glob.Table[actionHit]
}

type aiKey struct{ provider, service string }

type actionHit struct {
	service *Service
	use     Use
}

// Version returns the version of the shipped catalog the catalog was built
// on, followed by "+<n> files" when deployment files extend it.
func (c *Catalog) Version() string { return c.version }

// Files returns the files the catalog was loaded from, the shipped one first.
func (c *Catalog) Files() []string { return slices.Clone(c.files) }

// Services returns every service, ordered by id.
func (c *Catalog) Services() []*Service { return slices.Clone(c.services) }

// Service returns the service with the given id.
func (c *Catalog) Service(id string) (*Service, bool) {
	s, ok := c.byID[id]
	return s, ok
}

// ByAction returns the service and use of the audit-log action name of
// source, if a rule names it: an exact name first, then the patterns in
// file order.
func (c *Catalog) ByAction(source, name string) (Match, bool) {
	t := c.actions[source]
	if t == nil {
		return Match{}, false
	}
	h, ok := t.Lookup(name)
	if !ok {
		return Match{}, false
	}
	return Match{Service: h.service, Use: h.use}, true
}

// ByAI returns the service ingest named with provider and service in an
// event's AI context: the pair first, then the service alone, then the
// provider alone.
func (c *Catalog) ByAI(provider, service string) (*Service, bool) {
	if provider != "" && service != "" {
		if s, ok := c.aiPair[aiKey{provider, service}]; ok {
			return s, true
		}
	}
	if service != "" {
		if s, ok := c.aiWord[service]; ok {
			return s, true
		}
	}
	if provider != "" {
		if s, ok := c.aiWord[provider]; ok {
			return s, true
		}
	}
	return nil, false
}

// ByAIPair is ByAI without the fallback to the provider alone, for callers
// that try a host before settling for the provider.
func (c *Catalog) ByAIPair(provider, service string) (*Service, bool) {
	if provider != "" && service != "" {
		if s, ok := c.aiPair[aiKey{provider, service}]; ok {
			return s, true
		}
	}
	if service != "" {
		if s, ok := c.aiWord[service]; ok {
			return s, true
		}
	}
	return nil, false
}

// ByHost returns the service of an API or web host; host is compared in
// lower case, without a port.
func (c *Catalog) ByHost(host string) (*Service, bool) {
	if host == "" {
		return nil, false
	}
	if i := strings.LastIndexByte(host, ':'); i > 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	return c.hosts.Lookup(lowerASCII(host))
}

// ByApp returns the service of an application name as an identity
// provider shows it, compared case-insensitively.
func (c *Catalog) ByApp(name string) (*Service, bool) {
	if name == "" {
		return nil, false
	}
	return c.apps.Lookup(strings.ToLower(strings.TrimSpace(name)))
}

// lowerASCII returns s in lower case, without allocating when it already is.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	hostPattern = regexp.MustCompile(`^[a-z0-9*]([a-z0-9*.-]{0,252})$`)
)
