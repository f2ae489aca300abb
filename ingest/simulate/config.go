package simulate

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aitdr/aitdr/internal/yamlstrict"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"

	"github.com/aitdr/aitdr/schemas"
)

// Scenario kinds: the attacks and risky behaviours the simulator injects
// and labels.
const (
	// ScenarioAfterHoursModelChange is a builder changing production model
	// weights in the middle of their night, then creating a new service
	// account with production access.
	ScenarioAfterHoursModelChange = "after_hours_model_change"
	// ScenarioAgentCrossTenant is an agent authenticating into another
	// tenant: role assumptions into foreign AWS accounts.
	ScenarioAgentCrossTenant = "agent_cross_tenant_auth"
	// ScenarioAgentDataSpike is an agent reading ten times the data it
	// normally reads, after days of normal history.
	ScenarioAgentDataSpike = "agent_data_spike"
	// ScenarioAgentPrivilegeEscalation is an agent trying to grow its own
	// permissions: CreateRole, AttachRolePolicy, PassRole, most denied.
	ScenarioAgentPrivilegeEscalation = "agent_privilege_escalation"
	// ScenarioLLMjacking is a stolen access key used from a new network to
	// enumerate and enable model access, disable invocation logging and
	// run models on the victim's bill.
	ScenarioLLMjacking = "llmjacking"
	// ScenarioConfidentialPrompt is a user pasting payment cards, keys and
	// personal data into prompts through the AI gateway.
	ScenarioConfidentialPrompt = "confidential_prompt"
	// ScenarioPersonalAccountAI is a user using AI through a personal
	// account (a consumer mail address or a consumer AI endpoint).
	ScenarioPersonalAccountAI = "personal_account_ai"
)

// ScenarioKinds returns every scenario kind, in a fixed order.
func ScenarioKinds() []string {
	return []string{
		ScenarioAfterHoursModelChange, ScenarioAgentCrossTenant, ScenarioAgentDataSpike,
		ScenarioAgentPrivilegeEscalation, ScenarioLLMjacking, ScenarioConfidentialPrompt,
		ScenarioPersonalAccountAI,
	}
}

// Output kinds.
const (
	OutputFiles = "files"
	OutputHTTP  = "http"
	OutputKafka = "kafka"
)

// DefaultTokenEnv is the environment variable the HTTP output reads its
// bearer token from when Output.TokenEnv is empty.
const DefaultTokenEnv = "AITDR_INGEST_TOKEN"

// Config is the simulator's configuration: who exists (Population,
// Tenants), when and how fast records come (Time), which attacks are
// injected (Scenarios) and where records go (Output, read by the aitdr
// simulate command). Default returns every default; Validate lists every
// problem by field path.
type Config struct {
	// Seed makes the simulation deterministic: the same seed, config and
	// start time give byte-identical records and labels. Default 1.
	Seed int64 `yaml:"seed"`
	// Population is how many identities of each kind exist and how they
	// behave.
	Population Population `yaml:"population"`
	// Tenants are the accounts, orgs, projects and clusters the population
	// works in.
	Tenants Tenants `yaml:"tenants"`
	// Time is the simulated clock and the pace of the output.
	Time Time `yaml:"time"`
	// Scenarios are the injected, labelled attacks. Default: every kind,
	// a few times each (see Default). An empty list injects none.
	Scenarios []Scenario `yaml:"scenarios"`
	// Output is where the aitdr simulate command writes.
	Output Output `yaml:"output"`
}

// Population sizes the simulated organization.
type Population struct {
	// Users are people who use AI services (AI users). Default 200.
	Users int `yaml:"users"`
	// Builders are people who train, register and deploy models (AI
	// builders); they use AI services too. Default 30.
	Builders int `yaml:"builders"`
	// Agents are autonomous workloads that call models on service
	// credentials (AI agents). Default 40.
	Agents int `yaml:"agents"`
	// Humans are people who use no AI service. Default 40.
	Humans int `yaml:"humans"`
	// Services are workloads that use no AI service (CI, backups, log
	// shipping). Default 12.
	Services int `yaml:"services"`
	// PersonalShare is the share of users and builders who also have a
	// personal account that the personal_account_ai scenario uses.
	// Default 0.1.
	PersonalShare float64 `yaml:"personal_share"`
	// ShadowShare is the share of users who use unsanctioned AI services
	// (shadow AI) with their corporate account. Default 0.15.
	ShadowShare float64 `yaml:"shadow_share"`
	// SharedCredentials is the number of agent credentials that several
	// agents share. Default 3.
	SharedCredentials int `yaml:"shared_credentials"`
	// UnregisteredShare is the share of identities missing from the
	// assumed inventory the context files hold. Default 0.25.
	UnregisteredShare float64 `yaml:"unregistered_share"`
	// Activity multiplies every identity's activity rate, to make the same
	// population produce more or fewer records per simulated hour.
	// Default 1.
	Activity float64 `yaml:"activity"`
	// TimeZones are the zones people live in (see TimeZones for the known
	// names); the first is the most common. Default America/New_York,
	// America/Los_Angeles, Europe/Berlin, Europe/London, Asia/Kolkata.
	TimeZones []string `yaml:"time_zones"`
	// Teams are the teams people belong to. Default eight teams.
	Teams []string `yaml:"teams"`
}

// Tenants are where the simulated organization's identities live.
type Tenants struct {
	// Domain is the corporate mail domain. Default "acme.example".
	Domain string `yaml:"domain"`
	// AWSAccounts are the organization's AWS accounts; at least one prod
	// and one dev.
	AWSAccounts []Tenant `yaml:"aws_accounts"`
	// ExternalAWSAccounts are foreign AWS accounts, outside the
	// organization, that the agent_cross_tenant_auth scenario reaches.
	ExternalAWSAccounts []string `yaml:"external_aws_accounts"`
	// OktaOrg is the Okta org domain; it must be the okta_org the ingest
	// sources are configured with (see SourcesConfig).
	OktaOrg string `yaml:"okta_org"`
	// EntraTenants are Microsoft Entra tenants (ID is the tenant id).
	EntraTenants []Tenant `yaml:"entra_tenants"`
	// GCPOrg is the Google Cloud organization id.
	GCPOrg string `yaml:"gcp_org"`
	// GCPProjects are Google Cloud projects; at least one prod and one dev.
	GCPProjects []Tenant `yaml:"gcp_projects"`
	// GitHubEnterprise is the GitHub enterprise (business) slug.
	GitHubEnterprise string `yaml:"github_enterprise"`
	// GitHubOrgs are GitHub organizations of the enterprise.
	GitHubOrgs []Tenant `yaml:"github_orgs"`
	// K8sClusters are Kubernetes clusters (ID is the cluster name).
	K8sClusters []Tenant `yaml:"k8s_clusters"`
	// OpenAIOrg is the OpenAI organization id.
	OpenAIOrg string `yaml:"openai_org"`
	// OpenAIProjects are OpenAI projects.
	OpenAIProjects []Tenant `yaml:"openai_projects"`
	// AnthropicOrg is the Anthropic organization id.
	AnthropicOrg string `yaml:"anthropic_org"`
	// AnthropicWorkspaces are Anthropic workspaces.
	AnthropicWorkspaces []Tenant `yaml:"anthropic_workspaces"`
	// AIGateway names the LiteLLM gateway deployment; it must be the
	// ai_gateway the ingest sources are configured with.
	AIGateway string `yaml:"ai_gateway"`
}

// Tenant is one account, project, organization or cluster.
type Tenant struct {
	// ID is the provider's id: AWS account id, Entra tenant id, GCP
	// project id, GitHub org login, cluster name, OpenAI project id.
	ID string `yaml:"id"`
	// Name is a human-readable name.
	Name string `yaml:"name"`
	// Environment is prod, staging, dev or test.
	Environment schemas.Environment `yaml:"environment"`
}

// Time is the simulated clock and the pace of the output.
type Time struct {
	// Start is when the simulation starts, in simulated time: an RFC 3339
	// time (deterministic), "now", or a negative duration before now such
	// as "-72h". Default: the latest Monday 00:00 UTC at least Duration
	// before now, so that a default run covers whole weeks of the past
	// and is reproducible within a week.
	Start string `yaml:"start"`
	// Duration is the simulated time span. Default 168h (a week). In live
	// mode 0 runs until stopped.
	Duration time.Duration `yaml:"duration"`
	// Count stops the simulation after this many records. Default 0 (no
	// limit).
	Count int64 `yaml:"count"`
	// Rate bounds the output in records per second of wall time. Default
	// 0 (as fast as the sink takes them).
	Rate float64 `yaml:"rate"`
	// Speedup paces the output by simulated time: Speedup simulated
	// seconds per wall second (3600 plays an hour in a second, 2016 a
	// week in five minutes). Default 0 (no pacing by simulated time).
	Speedup float64 `yaml:"speedup"`
	// Live never lets a record out before its simulated time has come on
	// the wall clock: with a start in the past the history is played as
	// fast as Rate allows, then records follow the wall clock, so their
	// times are near now. Default false.
	Live bool `yaml:"live"`
}

// Scenario schedules the instances of one attack.
type Scenario struct {
	// Kind is one of ScenarioKinds.
	Kind string `yaml:"kind"`
	// At is when the first instance starts, after Time.Start. Scenarios
	// of people align to a suitable local time of the person on or after
	// it (the middle of the night for after_hours_model_change, working
	// hours for confidential_prompt, the evening for personal_account_ai).
	At time.Duration `yaml:"at"`
	// Every is the time between instances; 0 runs one instance.
	Every time.Duration `yaml:"every"`
	// Times is the number of instances: default 1 when Every is 0, and as
	// many as fit before the end when Every is set.
	Times int `yaml:"times"`
}

// Output is where the aitdr simulate command writes records and labels.
type Output struct {
	// Kind is files (default), http or kafka.
	Kind string `yaml:"kind"`
	// Dir is the folder of the files output: one <product>.jsonl file per
	// source. Default "sim".
	Dir string `yaml:"dir"`
	// URL is the base URL of the ingest HTTP input. Default
	// "http://127.0.0.1:8088".
	URL string `yaml:"url"`
	// TokenFile holds the bearer token of the HTTP output.
	TokenFile string `yaml:"token_file"`
	// TokenEnv names the environment variable holding the bearer token
	// when TokenFile is empty. Default DefaultTokenEnv.
	TokenEnv string `yaml:"token_env"`
	// Topic is the raw topic of the kafka output. Default aitdr.raw with
	// the deployment's topic prefix.
	Topic string `yaml:"topic"`
	// Labels is the file the ground-truth labels are written to (JSON
	// lines). Default <dir>/labels.jsonl for files, labels.jsonl
	// otherwise.
	Labels string `yaml:"labels"`
	// BatchSize is the most records handed to the output at once. Default
	// 500.
	BatchSize int `yaml:"batch_size"`
}

// Default returns the default configuration: 200 AI users, 30 builders,
// 40 agents, 40 other people and 12 other services in three AWS accounts,
// one Okta org, two Entra tenants, three GCP projects, two GitHub orgs and
// two clusters, a week of activity, and every scenario a few times.
func Default() Config {
	return Config{
		Seed: 1,
		Population: Population{
			Users: 200, Builders: 30, Agents: 40, Humans: 40, Services: 12,
			PersonalShare: 0.1, ShadowShare: 0.15, SharedCredentials: 3, UnregisteredShare: 0.25,
			Activity:  1,
			TimeZones: []string{"America/New_York", "America/Los_Angeles", "Europe/Berlin", "Europe/London", "Asia/Kolkata"},
			Teams:     []string{"ml-platform", "data-science", "support", "sales", "finance", "engineering", "security", "marketing"},
		},
		Tenants: Tenants{
			Domain: "acme.example",
			AWSAccounts: []Tenant{
				{ID: "210987654321", Name: "ml-prod", Environment: schemas.EnvProduction},
				{ID: "345678901234", Name: "ml-dev", Environment: schemas.EnvDevelopment},
				{ID: "456789012345", Name: "data-prod", Environment: schemas.EnvProduction},
			},
			ExternalAWSAccounts: []string{"777788889999", "505050505050"},
			OktaOrg:             "acme.okta.com",
			EntraTenants: []Tenant{
				{ID: "3f2a9c1e-5b7d-4e8f-a1c2-6d4b8e0f2a13", Name: "acme", Environment: schemas.EnvProduction},
				{ID: "8b4e6d2a-1c3f-4a5b-9e7d-0f2a4c6e8b10", Name: "acme-labs", Environment: schemas.EnvDevelopment},
			},
			GCPOrg: "123456789012",
			GCPProjects: []Tenant{
				{ID: "acme-ml-prod", Name: "ML production", Environment: schemas.EnvProduction},
				{ID: "acme-ml-dev", Name: "ML development", Environment: schemas.EnvDevelopment},
				{ID: "acme-data-prod", Name: "Data production", Environment: schemas.EnvProduction},
			},
			GitHubEnterprise: "acme-corp",
			GitHubOrgs: []Tenant{
				{ID: "acme-ai", Name: "AI", Environment: schemas.EnvProduction},
				{ID: "acme-platform", Name: "Platform", Environment: schemas.EnvProduction},
			},
			K8sClusters: []Tenant{
				{ID: "ml-prod-eks", Name: "ML serving", Environment: schemas.EnvProduction},
				{ID: "ml-dev-gke", Name: "ML development", Environment: schemas.EnvDevelopment},
			},
			OpenAIOrg: "org-AcmeSim0001",
			OpenAIProjects: []Tenant{
				{ID: "proj_SupportBotProd", Name: "support-bot-prod", Environment: schemas.EnvProduction},
				{ID: "proj_ResearchDev", Name: "research-dev", Environment: schemas.EnvDevelopment},
			},
			AnthropicOrg: "org_01AcmeSim00000000000001",
			AnthropicWorkspaces: []Tenant{
				{ID: "wrkspc_01AcmeProd000000000001", Name: "production", Environment: schemas.EnvProduction},
				{ID: "wrkspc_01AcmeDev0000000000001", Name: "sandbox", Environment: schemas.EnvDevelopment},
			},
			AIGateway: "acme-litellm",
		},
		Time: Time{Duration: 7 * 24 * time.Hour},
		Scenarios: []Scenario{
			{Kind: ScenarioPersonalAccountAI, At: 26 * time.Hour, Every: 12 * time.Hour, Times: 8},
			{Kind: ScenarioConfidentialPrompt, At: 30 * time.Hour, Every: 10 * time.Hour, Times: 10},
			{Kind: ScenarioAfterHoursModelChange, At: 48 * time.Hour, Every: 40 * time.Hour, Times: 3},
			{Kind: ScenarioAgentPrivilegeEscalation, At: 54 * time.Hour, Every: 30 * time.Hour, Times: 3},
			{Kind: ScenarioAgentCrossTenant, At: 60 * time.Hour, Every: 30 * time.Hour, Times: 3},
			{Kind: ScenarioAgentDataSpike, At: 72 * time.Hour, Every: 26 * time.Hour, Times: 3},
			{Kind: ScenarioLLMjacking, At: 80 * time.Hour, Every: 40 * time.Hour, Times: 2},
		},
		Output: Output{Kind: OutputFiles, Dir: "sim", URL: "http://127.0.0.1:8088", TokenEnv: DefaultTokenEnv, BatchSize: 500},
	}
}

// FieldError is one problem of a configuration field.
type FieldError struct {
	// Path is the field's path, such as "scenarios[2].at".
	Path string
	// Problem says what is wrong.
	Problem string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Problem }

// Limits of the population, so that a typo cannot exhaust memory.
const (
	maxPeople = 1_000_000
	maxAgents = 1_000_000
)

// Validate returns every problem of c, each a *FieldError naming its field
// path, joined; nil when c is usable.
func (c *Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, &FieldError{Path: path, Problem: fmt.Sprintf(format, args...)})
	}
	p := c.Population
	for _, f := range []struct {
		name string
		n    int
		max  int
	}{{"users", p.Users, maxPeople}, {"builders", p.Builders, maxPeople}, {"agents", p.Agents, maxAgents}, {"humans", p.Humans, maxPeople}, {"services", p.Services, maxAgents}} {
		if f.n < 0 || f.n > f.max {
			bad("population."+f.name, "%d must be from 0 to %d", f.n, f.max)
		}
	}
	if p.Users+p.Builders+p.Agents+p.Humans+p.Services == 0 {
		bad("population", "no identities: set users, builders, agents, humans or services")
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"personal_share", p.PersonalShare}, {"shadow_share", p.ShadowShare}, {"unregistered_share", p.UnregisteredShare}} {
		if !(f.v >= 0 && f.v <= 1) {
			bad("population."+f.name, "%v must be from 0 to 1", f.v)
		}
	}
	if p.SharedCredentials < 0 {
		bad("population.shared_credentials", "%d is negative", p.SharedCredentials)
	} else if p.SharedCredentials > 0 && 2*p.SharedCredentials > p.Agents {
		bad("population.shared_credentials", "%d shared credentials need at least %d agents, have %d", p.SharedCredentials, 2*p.SharedCredentials, p.Agents)
	}
	if !(p.Activity > 0 && p.Activity <= 10_000) {
		bad("population.activity", "%v must be above 0 and at most 10000", p.Activity)
	}
	if len(p.TimeZones) == 0 {
		bad("population.time_zones", "must name at least one zone")
	}
	for i, z := range p.TimeZones {
		if _, ok := zoneOffsets[z]; !ok {
			bad(fmt.Sprintf("population.time_zones[%d]", i), "unknown zone %q (known: %s)", z, strings.Join(TimeZones(), ", "))
		}
	}
	if len(p.Teams) == 0 {
		bad("population.teams", "must name at least one team")
	}
	for i, team := range p.Teams {
		if !isName(team) {
			bad(fmt.Sprintf("population.teams[%d]", i), "%q must be 1 to 64 lower-case letters, digits, '-' or '_'", team)
		}
	}
	c.Tenants.validate(bad)
	c.Time.validate(bad)
	for i, s := range c.Scenarios {
		s.validate(fmt.Sprintf("scenarios[%d]", i), bad)
	}
	c.Output.validate(bad)
	return errors.Join(errs...)
}

func (t *Tenants) validate(bad func(path, format string, args ...any)) {
	if !strings.Contains(t.Domain, ".") || strings.ContainsAny(t.Domain, " @/") {
		bad("tenants.domain", "%q is not a mail domain such as acme.example", t.Domain)
	}
	envs := func(path string, list []Tenant, needProdDev bool, check func(string) bool, idForm string) {
		if len(list) == 0 {
			bad(path, "must list at least one")
			return
		}
		seen := map[string]bool{}
		var prod, dev bool
		for i, a := range list {
			at := fmt.Sprintf("%s[%d]", path, i)
			if !check(a.ID) {
				bad(at+".id", "%q is not %s", a.ID, idForm)
			}
			if seen[a.ID] {
				bad(at+".id", "%q is listed twice", a.ID)
			}
			seen[a.ID] = true
			if a.Environment == "" || !a.Environment.Valid() || a.Environment == schemas.EnvUnknown {
				bad(at+".environment", "%q is not prod, staging, dev or test", a.Environment)
			}
			prod = prod || a.Environment == schemas.EnvProduction
			dev = dev || a.Environment != schemas.EnvProduction
		}
		if needProdDev && (!prod || !dev) {
			bad(path, "must list at least one prod and one non-prod entry")
		}
	}
	envs("tenants.aws_accounts", t.AWSAccounts, true, isAWSAccount, "a 12-digit AWS account id")
	for i, a := range t.ExternalAWSAccounts {
		if !isAWSAccount(a) {
			bad(fmt.Sprintf("tenants.external_aws_accounts[%d]", i), "%q is not a 12-digit AWS account id", a)
		}
		for _, own := range t.AWSAccounts {
			if own.ID == a {
				bad(fmt.Sprintf("tenants.external_aws_accounts[%d]", i), "%q is also one of aws_accounts", a)
			}
		}
	}
	if len(t.ExternalAWSAccounts) == 0 {
		bad("tenants.external_aws_accounts", "must list at least one foreign account")
	}
	envs("tenants.entra_tenants", t.EntraTenants, false, isUUID, "a tenant id (UUID)")
	envs("tenants.gcp_projects", t.GCPProjects, true, isName, "a project id")
	envs("tenants.github_orgs", t.GitHubOrgs, false, isName, "an organization login")
	envs("tenants.k8s_clusters", t.K8sClusters, false, isName, "a cluster name")
	envs("tenants.openai_projects", t.OpenAIProjects, false, isToken, "a project id")
	envs("tenants.anthropic_workspaces", t.AnthropicWorkspaces, false, isToken, "a workspace id")
	for _, f := range []struct{ path, v string }{
		{"tenants.okta_org", t.OktaOrg}, {"tenants.gcp_org", t.GCPOrg}, {"tenants.github_enterprise", t.GitHubEnterprise},
		{"tenants.openai_org", t.OpenAIOrg}, {"tenants.anthropic_org", t.AnthropicOrg}, {"tenants.ai_gateway", t.AIGateway},
	} {
		if !isToken(f.v) {
			bad(f.path, "%q must be 1 to 64 letters, digits, '.', '-' or '_'", f.v)
		}
	}
}

func (t *Time) validate(bad func(path, format string, args ...any)) {
	if _, _, err := parseStart(t.Start); err != nil {
		bad("time.start", "%v", err)
	}
	switch {
	case t.Duration < 0:
		bad("time.duration", "%s is negative", t.Duration)
	case t.Duration == 0 && !t.Live:
		bad("time.duration", "must be set (0 runs forever, only in live mode)")
	case t.Duration > 0 && t.Duration < time.Minute:
		bad("time.duration", "%s is under a minute", t.Duration)
	}
	if t.Count < 0 {
		bad("time.count", "%d is negative", t.Count)
	}
	if !(t.Rate >= 0) || math.IsInf(t.Rate, 0) {
		bad("time.rate", "%v must be 0 (unlimited) or a positive number of records per second", t.Rate)
	}
	if !(t.Speedup >= 0) || math.IsInf(t.Speedup, 0) {
		bad("time.speedup", "%v must be 0 (no pacing) or positive", t.Speedup)
	}
	if t.Live && t.Speedup > 0 {
		bad("time.speedup", "%v: live mode follows the wall clock; set speedup 0", t.Speedup)
	}
}

func (s Scenario) validate(path string, bad func(path, format string, args ...any)) {
	if !slices.Contains(ScenarioKinds(), s.Kind) {
		bad(path+".kind", "unknown scenario %q (known: %s)", s.Kind, strings.Join(ScenarioKinds(), ", "))
	}
	if s.At < 0 {
		bad(path+".at", "%s is negative", s.At)
	}
	if s.Kind == ScenarioAgentDataSpike && s.At >= 0 && s.At < minDataSpikeHistory {
		bad(path+".at", "%s: the agent needs at least %s of normal history before its spike", s.At, minDataSpikeHistory)
	}
	if s.Every < 0 || (s.Every > 0 && s.Every < time.Hour) {
		bad(path+".every", "%s must be 0 (once) or at least 1h", s.Every)
	}
	if s.Times < 0 {
		bad(path+".times", "%d is negative", s.Times)
	}
	if s.Every == 0 && s.Times > 1 {
		bad(path+".times", "%d instances need every to be set", s.Times)
	}
}

func (o *Output) validate(bad func(path, format string, args ...any)) {
	switch o.Kind {
	case OutputFiles:
		if o.Dir == "" {
			bad("output.dir", "must be set for the files output")
		}
	case OutputHTTP:
		if !strings.HasPrefix(o.URL, "http://") && !strings.HasPrefix(o.URL, "https://") {
			bad("output.url", "%q is not an http:// or https:// URL", o.URL)
		}
	case OutputKafka:
	default:
		bad("output.kind", "%q is not one of files, http, kafka", o.Kind)
	}
	if o.BatchSize < 1 || o.BatchSize > 100_000 {
		bad("output.batch_size", "%d must be from 1 to 100000", o.BatchSize)
	}
}

// minDataSpikeHistory is the least normal history an agent has before the
// agent_data_spike scenario, so that its baseline exists.
const minDataSpikeHistory = 24 * time.Hour

// parseStart reads Time.Start: an absolute time, or how long before now
// (relative true; "now" is zero before now). Empty is the default start.
func parseStart(s string) (abs time.Time, before time.Duration, err error) {
	switch {
	case s == "":
		return time.Time{}, 0, nil
	case s == "now":
		return time.Time{}, 0, nil
	case strings.HasPrefix(s, "-"):
		d, err := time.ParseDuration(s[1:])
		if err != nil || d <= 0 {
			return time.Time{}, 0, fmt.Errorf("%q is not a duration before now such as -72h", s)
		}
		return time.Time{}, d, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("%q is not an RFC 3339 time, \"now\" or a duration before now such as -72h", s)
	}
	if t.Year() < 2000 {
		return time.Time{}, 0, fmt.Errorf("%q is before 2000; sources reject such event times", s)
	}
	return t.UTC(), 0, nil
}

func isAWSAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isName reports a lower-case name: letters, digits, '-' and '_'.
func isName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// isToken reports an id: letters, digits, '.', '-' and '_'.
func isToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// LoadConfig reads a simulator configuration file over the defaults: a
// YAML document whose top level is Config. Unknown keys, wrong types and
// duplicate keys fail with the file, line and column; a value Validate
// rejects fails with the file, line and column of the value and its field
// path.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read simulator config: %w", err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("simulator config %s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig decodes a simulator configuration over the defaults and
// validates it, as LoadConfig does for a file.
func ParseConfig(data []byte) (Config, error) {
	cfg := Default()
	if len(bytes.TrimSpace(data)) == 0 {
		return cfg, nil
	}
	file, err := yamlstrict.Decode(data, &cfg)
	if err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, locateFieldErrors(file, err)
	}
	return cfg, nil
}

// locateFieldErrors puts the line and column of each field's value in
// file before the field errors of err, where the file sets the field.
func locateFieldErrors(file *ast.File, err error) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	out := make([]error, 0, len(list))
	for _, e := range list {
		var fe *FieldError
		if errors.As(e, &fe) {
			if line, col, ok := position(file, fe.Path); ok {
				out = append(out, fmt.Errorf("[%d:%d] %w", line, col, fe))
				continue
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// position finds the value at a field path such as "scenarios[2].at" in
// file; a path the file does not set falls back to its nearest parent the
// file sets.
func position(file *ast.File, fieldPath string) (line, col int, ok bool) {
	for p := fieldPath; p != ""; p = parentPath(p) {
		yp, err := yaml.PathString("$." + p)
		if err != nil {
			continue
		}
		node, err := yp.FilterFile(file)
		if err != nil || node == nil {
			continue
		}
		pos := node.GetToken().Position
		return pos.Line, pos.Column, true
	}
	return 0, 0, false
}

// parentPath drops the last element of a field path.
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i > 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i > 0 {
		return p[:i]
	}
	return ""
}

// String returns the Tenant as "id (name, environment)" for messages.
func (t Tenant) String() string {
	return t.ID + " (" + t.Name + ", " + string(t.Environment) + ")"
}

// itoa is strconv.Itoa, short for the record builders.
func itoa(n int) string { return strconv.Itoa(n) }
