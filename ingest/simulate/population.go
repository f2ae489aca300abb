package simulate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aitdr/aitdr/schemas"
)

// role is what a person does with AI.
type role int

const (
	roleUser    role = iota // uses AI services
	roleBuilder             // builds, trains and deploys models
	roleHuman               // uses no AI service
)

// person is a simulated employee with the accounts they hold.
type person struct {
	index                   int
	id                      string // directory id, "p00042"
	first, last, display    string
	email, login            string // corporate e-mail; login is its local part
	team, title             string
	manager                 *person
	role                    role
	rhythm                  rhythm
	oktaID                  string  // Okta user id when Okta is the person's IdP
	entra                   *Tenant // Entra home tenant when Entra is the IdP
	entraID                 string
	github                  string // GitHub login, when they have one
	gateway                 bool   // uses the LiteLLM gateway under their e-mail
	openaiID                string // OpenAI platform user id, when a member
	claude                  bool   // Claude for Work member (Anthropic)
	apps                    []aiApp
	shadow                  []aiApp
	personalEmail           string // personal mailbox, when they have one
	officeIP, homeIP        string
	homeASN                 int
	browser                 string
	registered              bool
	sessionDay              int // last local day with a session, to start one a day
	openAIHour, claudeDay   int64
	awsKeys                 map[string]string // the AKIA key of the builder's CLI, per account: a key is its IAM user's
	awsUserIDs              map[string]string
	devCluster, prodCluster *Tenant
}

// archetype is what an agent workload is and which source records it.
type archetype int

const (
	archBedrockApp   archetype = iota // AWS role invoking Bedrock and reading its knowledge base
	archRAGIndexer                    // AWS role reading S3 objects and embedding them
	archBatchKey                      // IAM user with a long-term access key running Bedrock jobs
	archGatewayAgent                  // LiteLLM virtual key tagged as an agent's
	archVertexAgent                   // Google Cloud service account on Vertex AI
	archBedrockAgent                  // Amazon Bedrock agent execution role
	archEntraAgent                    // Entra service principal calling Azure OpenAI
	archK8sAgent                      // Kubernetes service account of an agent pod
	archOpenAIKey                     // OpenAI service account API key
	archAnthropicKey                  // Anthropic API key
	numArchetypes
)

var archetypeNames = [numArchetypes]string{
	"bedrock_app", "rag_indexer", "batch_key", "gateway_agent", "vertex_agent",
	"bedrock_agent", "entra_agent", "k8s_agent", "openai_key", "anthropic_key",
}

func (a archetype) String() string { return archetypeNames[a] }

// agentRates are the records per hour of each archetype at full activity.
var agentRates = [numArchetypes]float64{
	archBedrockApp: 40, archRAGIndexer: 50, archBatchKey: 30, archGatewayAgent: 30, archVertexAgent: 30,
	archBedrockAgent: 25, archEntraAgent: 6, archK8sAgent: 20, archOpenAIKey: 2, archAnthropicKey: 2,
}

// agent is an autonomous workload that calls models.
type agent struct {
	index      int
	name       string
	arch       archetype
	team       string
	owner      *person
	env        schemas.Environment
	rhythm     rhythm
	rate       float64
	cred       *credential
	ip         string // where its calls come from
	userAgent  string
	region     string
	models     []string
	registered bool
	usageHour  int64
}

// credential is what an agent authenticates with; several agents share
// one when the population says so. Its identity is the principal aitdr
// derives from the records.
type credential struct {
	identity string
	shared   []*agent
	// AWS
	account        *Tenant
	roleName       string
	roleID         string // AROA…
	userName       string
	userID         string // AIDA…
	accessKey      string // AKIA… of an IAM user
	bucket, prefix string
	// Google Cloud
	project *Tenant
	saEmail string
	keyID   string
	// Entra
	tenant        *Tenant
	spID, appID   string
	credentialKey string
	// Kubernetes
	cluster   *Tenant
	namespace string
	// LiteLLM, OpenAI and Anthropic
	keyHash, alias string
	openaiProject  *Tenant
	apiKeyID       string
	workspace      *Tenant
}

// serviceKind is a workload that uses no AI service.
type serviceKind int

const (
	svcCIDeploy   serviceKind = iota // AWS role deploying containers
	svcBackup                        // AWS role copying objects to a backup bucket
	svcOktaClient                    // Okta OAuth client on client credentials
	svcReleaseBot                    // GitHub bot cloning and pushing
	svcGCPBackup                     // Google Cloud service account writing objects
	svcEntraMI                       // Entra managed identity reading Key Vault
	svcK8sMonitor                    // Kubernetes service account listing pods
	numServiceKinds
)

var serviceKindNames = [numServiceKinds]string{"ci_deploy", "backup", "okta_client", "release_bot", "gcp_backup", "entra_managed_identity", "k8s_monitor"}

// service is a workload without AI.
type service struct {
	index    int
	name     string
	kind     serviceKind
	identity string
	rhythm   rhythm
	rate     float64
	account  *Tenant
	roleID   string
	project  *Tenant
	tenant   *Tenant
	cluster  *Tenant
	clientID string // Okta client, Entra service principal id
	appID    string
	org      string
	ip       string
	ghID     int
}

// population is everyone the simulation knows, built from the config and
// the seed alone.
type population struct {
	cfg      *Config
	prefix   string // the organization's short name, from the mail domain
	people   []*person
	agents   []*agent
	services []*service
	creds    []*credential
	// byRole indexes people.
	builders, users, humans []*person
}

// Accounts of the organization, by purpose.
func (p *population) awsAccount(env schemas.Environment, nth int) *Tenant {
	var match []*Tenant
	for i := range p.cfg.Tenants.AWSAccounts {
		a := &p.cfg.Tenants.AWSAccounts[i]
		if (env == schemas.EnvProduction) == (a.Environment == schemas.EnvProduction) {
			match = append(match, a)
		}
	}
	return match[nth%len(match)]
}

func (p *population) gcpProject(env schemas.Environment, nth int) *Tenant {
	var match []*Tenant
	for i := range p.cfg.Tenants.GCPProjects {
		a := &p.cfg.Tenants.GCPProjects[i]
		if (env == schemas.EnvProduction) == (a.Environment == schemas.EnvProduction) {
			match = append(match, a)
		}
	}
	return match[nth%len(match)]
}

// byEnv returns the first tenant of list in env's class (prod or not), or
// the first of list.
func byEnv(list []Tenant, env schemas.Environment) *Tenant {
	for i := range list {
		if (env == schemas.EnvProduction) == (list[i].Environment == schemas.EnvProduction) {
			return &list[i]
		}
	}
	return &list[0]
}

// Resource names, from the organization's short name and an environment.
func (p *population) knowledgeBucket(env schemas.Environment) string {
	return p.prefix + "-rag-knowledge-" + string(env)
}
func (p *population) weightsBucket() string  { return p.prefix + "-model-weights-prod" }
func (p *population) datasetsBucket() string { return p.prefix + "-ml-datasets-dev" }
func (p *population) artifactsBucket() string {
	return p.prefix + "-model-artifacts-dev"
}
func (p *population) exportsBucket() string { return p.prefix + "-customer-exports" }
func (p *population) backupBucket() string  { return p.prefix + "-backups" }
func (p *population) gcsModels(project string) string {
	return project + "-models"
}
func (p *population) gcsDatasets() string { return p.prefix + "-support-tickets" }

// buildPopulation draws the population of cfg from its seed.
func buildPopulation(cfg *Config) (*population, error) {
	r := newRNG(cfg.Seed, 0)
	pop := &population{cfg: cfg, prefix: orgPrefix(cfg.Tenants.Domain)}
	pc := cfg.Population
	pop.buildPeople(r, pc)
	pop.buildAgents(r, pc)
	if err := pop.shareCredentials(r, pc.SharedCredentials); err != nil {
		return nil, err
	}
	pop.buildServices(r, pc)
	return pop, nil
}

// orgPrefix is the first label of the mail domain, lower case: "acme".
func orgPrefix(domain string) string {
	label, _, _ := strings.Cut(strings.ToLower(domain), ".")
	return label
}

func (pop *population) buildPeople(r rng, pc Population) {
	n := pc.Builders + pc.Users + pc.Humans
	used := map[string]int{}
	leads := map[string]*person{}
	for i := range n {
		p := &person{index: i, id: fmt.Sprintf("p%05d", i+1)}
		switch {
		case i < pc.Builders:
			p.role = roleBuilder
		case i < pc.Builders+pc.Users:
			p.role = roleUser
		default:
			p.role = roleHuman
		}
		p.first, p.last = pick(r, firstNames), pick(r, lastNames)
		p.display = p.first + " " + p.last
		login := strings.ToLower(p.first + "." + p.last)
		if k := used[login]; k > 0 {
			used[login]++
			login += itoa(k + 1)
		} else {
			used[login] = 1
		}
		p.login = login
		p.email = login + "@" + pop.cfg.Tenants.Domain
		teams := pc.Teams
		switch p.role {
		case roleBuilder:
			p.team = teams[r.IntN(min(2, len(teams)))]
		default:
			p.team = pick(r, teams)
		}
		p.title = pick(r, titles[p.role])
		if lead, ok := leads[p.team]; ok {
			p.manager = lead
		} else {
			leads[p.team] = p
		}
		p.rhythm = personRhythm(r, pc.TimeZones, p.role)
		if r.chance(0.35) {
			p.entra = &pop.cfg.Tenants.EntraTenants[r.IntN(len(pop.cfg.Tenants.EntraTenants))]
			p.entraID = r.uuid()
		} else {
			p.oktaID = "00u" + r.chars(base62, 17)
		}
		switch p.role {
		case roleBuilder:
			p.github = githubLogin(r, p)
			p.gateway = r.chance(0.9)
			if r.chance(0.6) {
				p.openaiID = "user-" + r.chars(base62, 14)
			}
			p.claude = r.chance(0.5)
			p.apps = pickApps(r, sanctionedApps, 1, 2)
			firstKey := "AKIA" + r.chars(base32AWS, 16)
			p.awsUserIDs = map[string]string{}
			p.awsKeys = map[string]string{}
			for i, a := range pop.cfg.Tenants.AWSAccounts {
				p.awsUserIDs[a.ID] = "AIDA" + r.chars(base32AWS, 17)
				// Each account's IAM user has its own key; the keys of the
				// other accounts come from a stream of their own, so that
				// the population's draws stay as they were.
				p.awsKeys[a.ID] = firstKey
				if i > 0 {
					p.awsKeys[a.ID] = "AKIA" + stableChars(pop.cfg.Seed, "awskey:"+p.login+":"+a.ID, base32AWS, 16)
				}
			}
			p.devCluster = byEnv(pop.cfg.Tenants.K8sClusters, schemas.EnvDevelopment)
			p.prodCluster = byEnv(pop.cfg.Tenants.K8sClusters, schemas.EnvProduction)
		case roleUser:
			p.gateway = r.chance(0.8)
			if r.chance(0.4) {
				p.openaiID = "user-" + r.chars(base62, 14)
			}
			p.claude = r.chance(0.35)
			p.apps = pickApps(r, sanctionedApps, 1, 3)
			if r.chance(pc.ShadowShare) {
				p.shadow = pickApps(r, shadowApps, 1, 2)
			}
		case roleHuman:
			if p.team == "engineering" || r.chance(0.3) {
				p.github = githubLogin(r, p)
			}
		}
		if p.role != roleHuman && r.chance(pc.PersonalShare) {
			p.personalEmail = strings.ToLower(p.first+"."+p.last) + itoa(r.between(7, 99)) + "@" + pick(r, consumerMailDomains)
		}
		net := officeNet(p.rhythm.offset.Hours())
		p.officeIP = r.ipv4(net, 10, 99)
		p.homeIP = r.ipv4(net, 100, 199)
		p.homeASN = asnHomeFirst + r.IntN(5)
		p.browser = pick(r, browserAgents)
		p.registered = !r.chance(pc.UnregisteredShare)
		p.sessionDay = -1
		p.openAIHour, p.claudeDay = -1, -1
		pop.people = append(pop.people, p)
		switch p.role {
		case roleBuilder:
			pop.builders = append(pop.builders, p)
		case roleUser:
			pop.users = append(pop.users, p)
		default:
			pop.humans = append(pop.humans, p)
		}
	}
	// Team leads report to the lead of the first team.
	var top *person
	for _, t := range pc.Teams {
		if lead, ok := leads[t]; ok {
			if top == nil {
				top = lead
				continue
			}
			lead.manager = top
		}
	}
}

func githubLogin(r rng, p *person) string {
	return strings.ToLower(p.first[:1]+p.last) + "-" + r.chars(lowerAlnum, 3)
}

// pickApps returns between lo and hi distinct apps of list.
func pickApps(r rng, list []aiApp, lo, hi int) []aiApp {
	n := min(r.between(lo, hi), len(list))
	idx := r.Perm(len(list))[:n]
	slices.Sort(idx)
	out := make([]aiApp, n)
	for i, k := range idx {
		out[i] = list[k]
	}
	return out
}

// personRhythm draws the working hours of a person in one of zones, the
// first zones the most likely.
func personRhythm(r rng, zones []string, ro role) rhythm {
	ws := make([]weighted[string], len(zones))
	for i, z := range zones {
		ws[i] = weighted[string]{w: 1 / float64(i+1), v: z}
	}
	z := choose(r, ws)
	rh := rhythm{
		zone:    z,
		offset:  zoneOffsets[z],
		start:   r.betweenF(7.5, 10),
		length:  r.betweenF(7.5, 9.5),
		night:   r.betweenF(0.005, 0.03),
		weekend: r.betweenF(0.02, 0.1),
	}
	if ro == roleBuilder {
		rh.night = r.betweenF(0.01, 0.04)
	}
	return rh
}

// agentNames are the workloads agents are named after.
var agentNames = []string{
	"support-triage", "invoice-extractor", "kb-indexer", "sales-research", "code-review",
	"fraud-explainer", "contract-summarizer", "churn-analyst", "hr-helpdesk", "log-summarizer",
	"sql-copilot", "ticket-router", "doc-qa", "pricing-assistant", "release-notes",
}

// archetypeOrder is the order archetypes are given in, so that every
// archetype exists once there are ten agents.
var archetypeOrder = []archetype{
	archBedrockApp, archRAGIndexer, archBatchKey, archGatewayAgent, archVertexAgent,
	archBedrockAgent, archEntraAgent, archK8sAgent, archOpenAIKey, archAnthropicKey,
}

func (pop *population) buildAgents(r rng, pc Population) {
	used := map[string]int{}
	t := &pop.cfg.Tenants
	for i := range pc.Agents {
		a := &agent{index: i, arch: archetypeOrder[i%len(archetypeOrder)]}
		base := pick(r, agentNames)
		name := base
		if k := used[base]; k > 0 {
			name = base + "-" + itoa(k+1)
		}
		used[base]++
		a.name = name
		if len(pop.builders) > 0 {
			a.owner = pop.builders[i%len(pop.builders)]
			a.team = a.owner.team
		} else {
			a.team = pick(r, pc.Teams)
		}
		a.env = schemas.EnvProduction
		if r.chance(0.35) {
			a.env = schemas.EnvDevelopment
		}
		zone := pc.TimeZones[0]
		if a.owner != nil {
			zone = a.owner.rhythm.zone
		}
		a.rhythm = rhythm{zone: zone, offset: zoneOffsets[zone], start: 8, length: 9.5, weekend: 0.5}
		a.rhythm.floor = r.betweenF(0.2, 0.5)
		if a.arch == archBatchKey || a.arch == archRAGIndexer {
			a.rhythm.floor = r.betweenF(0.5, 0.8)
		}
		a.rhythm.night = a.rhythm.floor
		a.rate = agentRates[a.arch] * r.betweenF(0.7, 1.3)
		a.region = awsRegions[0]
		a.registered = !r.chance(pc.UnregisteredShare)
		a.ip = r.ipv4("10."+itoa(20+r.IntN(40))+"."+itoa(r.IntN(250)), 4, 250)
		a.userAgent = "Boto3/1.34." + itoa(r.between(40, 160)) + " md/Botocore#1.34." + itoa(r.between(40, 160)) + " ua/2.0 os/linux#6.1.0 lang/python#3.12.2"
		c := &credential{shared: []*agent{a}}
		switch a.arch {
		case archBedrockApp, archRAGIndexer:
			c.account = pop.awsAccount(a.env, i/len(archetypeOrder))
			c.roleName = a.name + "-" + agentSuffix(a.arch)
			c.roleID = "AROA" + r.chars(base32AWS, 17)
			c.bucket = pop.knowledgeBucket(a.env)
			c.prefix = strings.ReplaceAll(base, "-", "_") + "/"
			c.identity = "aws:" + c.account.ID + ":role/" + c.roleName
			a.models = []string{pick(r, bedrockModels)}
			if a.arch == archRAGIndexer {
				a.models = []string{bedrockEmbedModel}
			}
		case archBedrockAgent:
			c.account = pop.awsAccount(a.env, 0)
			c.roleName = "AmazonBedrockExecutionRoleForAgents_" + r.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10)
			c.roleID = "AROA" + r.chars(base32AWS, 17)
			c.bucket = pop.knowledgeBucket(a.env)
			c.identity = "aws:" + c.account.ID + ":role/" + c.roleName
			a.models = []string{pick(r, bedrockModels[:2])}
			a.ip = "bedrock.amazonaws.com"
			a.userAgent = "bedrock.amazonaws.com"
		case archBatchKey:
			c.account = pop.awsAccount(a.env, 0)
			c.userName = "svc-" + a.name
			c.userID = "AIDA" + r.chars(base32AWS, 17)
			c.accessKey = "AKIA" + r.chars(base32AWS, 16)
			c.identity = "aws:" + c.account.ID + ":user/" + c.userName
			a.models = []string{pick(r, bedrockModels), pick(r, bedrockModels)}
			a.ip = r.ipv4(netOfficeAsia, 200, 220) // the organization's cloud egress
			a.userAgent = "aws-sdk-go-v2/1.30." + itoa(r.between(1, 9)) + " os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/bedrockruntime#1.16.0"
		case archGatewayAgent:
			c.keyHash = r.hex(64)
			c.alias = a.name + "-agent"
			c.identity = "litellm:" + t.AIGateway + ":key/" + c.keyHash
			a.models = []string{pick(r, gatewayModels).model}
			a.userAgent = "OpenAI/Python 1." + itoa(r.between(40, 60)) + ".0"
		case archVertexAgent:
			c.project = pop.gcpProject(a.env, 0)
			c.saEmail = a.name + "@" + c.project.ID + ".iam.gserviceaccount.com"
			if r.chance(0.5) {
				c.keyID = r.hex(40)
			}
			c.identity = "gcp:" + c.project.ID + ":" + c.saEmail
			a.models = []string{pick(r, vertexModels[:2])}
			a.ip = r.ipv4(netOfficeAsia, 221, 240)
			a.userAgent = "python-requests/2.32.3 google-genai-sdk/1.14.0 gl-python/3.12.3,gzip(gfe)"
		case archEntraAgent:
			c.tenant = byEnv(t.EntraTenants, a.env)
			c.spID, c.appID, c.credentialKey = r.uuid(), r.uuid(), r.uuid()
			c.identity = "entra:" + c.tenant.ID + ":" + c.spID
			a.ip = r.ipv4(netOfficeAmericas, 200, 230)
		case archK8sAgent:
			c.cluster = byEnv(t.K8sClusters, a.env)
			c.namespace = a.team + "-agents"
			c.identity = "kubernetes:" + c.cluster.ID + ":system:serviceaccount:" + c.namespace + ":" + a.name
			a.userAgent = "python-kubernetes/31.0.0"
		case archOpenAIKey:
			c.openaiProject = byEnv(t.OpenAIProjects, a.env)
			c.apiKeyID = "key_" + r.chars(base62, 16)
			c.identity = "openai:" + t.OpenAIOrg + ":key/" + c.apiKeyID
			a.models = []string{pick(r, openAIModels[:2])}
		case archAnthropicKey:
			c.workspace = byEnv(t.AnthropicWorkspaces, a.env)
			c.apiKeyID = "apikey_01" + r.chars(base62, 22)
			c.identity = "anthropic:" + t.AnthropicOrg + ":key/" + c.apiKeyID
			a.models = []string{pick(r, anthropicModels)}
		}
		a.cred = c
		a.usageHour = -1
		pop.agents = append(pop.agents, a)
		pop.creds = append(pop.creds, c)
	}
}

func agentSuffix(a archetype) string {
	if a == archRAGIndexer {
		return "indexer"
	}
	return "agent"
}

// shareableArchetypes are the agents whose credential several workloads
// can hold and whose records show each workload's network: a gateway
// virtual key, an IAM access key, a service principal's secret. (Usage
// reports of AI platforms sum a key's use, so a shared key does not show
// in them.)
var shareableArchetypes = []archetype{archGatewayAgent, archBatchKey, archEntraAgent}

// shareCredentials makes n pairs of agents of one archetype use the first
// one's credential.
func (pop *population) shareCredentials(r rng, n int) error {
	if n == 0 {
		return nil
	}
	var pairs [][2]*agent
	for _, arch := range shareableArchetypes {
		var list []*agent
		for _, a := range pop.agents {
			if a.arch == arch {
				list = append(list, a)
			}
		}
		for i := 0; i+1 < len(list); i += 2 {
			pairs = append(pairs, [2]*agent{list[i], list[i+1]})
		}
	}
	if len(pairs) < n {
		return &FieldError{Path: "population.shared_credentials",
			Problem: fmt.Sprintf("%d shared credentials need %d pairs of agents of one kind on keys or service principals, the population has %d: add agents", n, n, len(pairs))}
	}
	// Spread the shared credentials over the archetypes.
	order := r.Perm(len(pairs))[:n]
	slices.Sort(order)
	for _, k := range order {
		owner, other := pairs[k][0], pairs[k][1]
		dropped := other.cred
		other.cred = owner.cred
		owner.cred.shared = append(owner.cred.shared, other)
		pop.creds = slices.DeleteFunc(pop.creds, func(c *credential) bool { return c == dropped })
	}
	return nil
}

func (pop *population) buildServices(r rng, pc Population) {
	t := &pop.cfg.Tenants
	for i := range pc.Services {
		s := &service{index: i, kind: serviceKind(i % int(numServiceKinds))}
		n := i/int(numServiceKinds) + 1
		suffix := ""
		if n > 1 {
			suffix = "-" + itoa(n)
		}
		s.rhythm = rhythm{zone: pc.TimeZones[0], offset: zoneOffsets[pc.TimeZones[0]], start: 7, length: 11, weekend: 0.4}
		s.rhythm.floor = r.betweenF(0.3, 0.7)
		s.rhythm.night = s.rhythm.floor
		s.rate = r.betweenF(6, 18)
		s.ip = r.ipv4("10."+itoa(60+r.IntN(30))+"."+itoa(r.IntN(250)), 4, 250)
		switch s.kind {
		case svcCIDeploy:
			s.name = "ci-deploy" + suffix
			s.account = pop.awsAccount(schemas.EnvProduction, n-1)
			s.roleID = "AROA" + r.chars(base32AWS, 17)
			s.identity = "aws:" + s.account.ID + ":role/" + s.name
		case svcBackup:
			s.name = "backup-runner" + suffix
			s.account = pop.awsAccount(schemas.EnvProduction, n)
			s.roleID = "AROA" + r.chars(base32AWS, 17)
			s.identity = "aws:" + s.account.ID + ":role/" + s.name
		case svcOktaClient:
			s.name = "hr-sync" + suffix
			s.clientID = "0oa" + r.chars(base62, 17)
			s.identity = "okta:" + t.OktaOrg + ":" + s.clientID
		case svcReleaseBot:
			s.name = pop.prefix + "-release-bot" + suffix
			s.org = t.GitHubOrgs[(n-1)%len(t.GitHubOrgs)].ID
			s.ghID = 100000000 + r.IntN(90000000)
			s.identity = "github:" + t.GitHubEnterprise + ":" + s.name
		case svcGCPBackup:
			s.project = pop.gcpProject(schemas.EnvProduction, n-1)
			s.name = "backup" + suffix + "@" + s.project.ID + ".iam.gserviceaccount.com"
			s.identity = "gcp:" + s.project.ID + ":" + s.name
		case svcEntraMI:
			s.name = "vault-reader" + suffix
			s.tenant = &t.EntraTenants[(n-1)%len(t.EntraTenants)]
			s.clientID, s.appID = r.uuid(), r.uuid()
			s.identity = "entra:" + s.tenant.ID + ":" + s.clientID
		case svcK8sMonitor:
			s.name = "prometheus" + suffix
			s.cluster = &t.K8sClusters[(n-1)%len(t.K8sClusters)]
			s.identity = "kubernetes:" + s.cluster.ID + ":system:serviceaccount:monitoring:" + s.name
		}
		pop.services = append(pop.services, s)
	}
}

// Identity ids of a person's accounts, as the sources derive them.

func (p *person) idpIdentity(t *Tenants) string {
	if p.entra != nil {
		return "entra:" + p.entra.ID + ":" + p.entraID
	}
	return "okta:" + t.OktaOrg + ":" + p.oktaID
}

func (p *person) awsIdentity(account string) string { return "aws:" + account + ":user/" + p.login }
func (p *person) gcpIdentity(t *Tenants) string     { return "gcp:" + t.GCPOrg + ":" + p.email }
func (p *person) githubIdentity(t *Tenants) string {
	return "github:" + t.GitHubEnterprise + ":" + p.github
}
func (p *person) gatewayIdentity(t *Tenants) string {
	return "litellm:" + t.AIGateway + ":user/" + p.email
}
func (p *person) openaiIdentity(t *Tenants) string {
	return "openai:" + t.OpenAIOrg + ":user/" + p.openaiID
}
func (p *person) claudeIdentity(t *Tenants) string {
	return "anthropic:" + t.AnthropicOrg + ":user/" + strings.ToLower(p.email)
}
func (p *person) k8sIdentity(cluster string) string { return "kubernetes:" + cluster + ":" + p.email }

// personalGatewayIdentity is the gateway identity of the person's
// personal mailbox.
func (p *person) personalGatewayIdentity(t *Tenants) string {
	return "litellm:" + t.AIGateway + ":user/" + p.personalEmail
}

// egressProxy is the organization's outbound web proxy, whose generic
// logs show calls to consumer AI endpoints.
const egressProxy = "acme-egress-proxy"

// consumerIdentity is the identity the egress proxy's logs give a person
// calling a consumer AI endpoint.
func (p *person) consumerIdentity() string { return "gateway:" + egressProxy + ":user/" + p.email }

// accounts returns the identity ids of the person's corporate accounts, the
// ones a directory links to the person.
func (p *person) accounts(t *Tenants) []string {
	out := []string{p.idpIdentity(t)}
	if p.role == roleBuilder {
		for _, a := range t.AWSAccounts {
			out = append(out, p.awsIdentity(a.ID))
		}
		out = append(out, p.gcpIdentity(t))
		for _, c := range []*Tenant{p.devCluster, p.prodCluster} {
			if id := p.k8sIdentity(c.ID); !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	if p.github != "" {
		out = append(out, p.githubIdentity(t))
	}
	if p.gateway {
		out = append(out, p.gatewayIdentity(t))
	}
	if p.openaiID != "" {
		out = append(out, p.openaiIdentity(t))
	}
	if p.claude {
		out = append(out, p.claudeIdentity(t))
	}
	return out
}
