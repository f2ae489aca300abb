package simulate

import (
	"fmt"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// Background activity: what people, agents and services do on a normal
// day. None of it is an attack; the scenarios add those.

// Base activity of people, in activities per hour at the peak of their
// working day.
var personRates = map[role]float64{roleUser: 4, roleBuilder: 10, roleHuman: 2}

// personActivity is what a person does at each tick.
type personActivity struct {
	p       *person
	actions []weighted[func(g *engine, a *actor, t time.Time)]
}

func newPersonActivity(pop *population, p *person) *personActivity {
	pa := &personActivity{p: p}
	add := func(w float64, f func(g *engine, a *actor, t time.Time)) {
		if w > 0 {
			pa.actions = append(pa.actions, weighted[func(g *engine, a *actor, t time.Time)]{w: w, v: f})
		}
	}
	switch p.role {
	case roleUser, roleBuilder:
		if p.gateway {
			add(5, pa.gatewayChat)
		}
		add(2, pa.aiAppSignIn)
		add(1, pa.workAppSignIn)
		if len(p.shadow) > 0 {
			add(0.8, pa.shadowSignIn)
		}
		if p.claude {
			add(1, pa.claudeChat)
		}
		if p.openaiID != "" {
			add(1, pa.openaiUse)
		}
		if p.role == roleBuilder {
			add(4, pa.awsDev)
			add(1, pa.awsProdRead)
			add(3, pa.gcpDev)
			add(2, pa.githubGit)
			add(2, pa.kubectl)
			if p.openaiID != "" {
				add(0.05, pa.openaiKey)
			}
		}
	case roleHuman:
		add(4, pa.workAppSignIn)
		if p.github != "" {
			add(3, pa.githubGit)
		}
	}
	return pa
}

// localDay numbers the person's local days.
func localDay(rh *rhythm, t time.Time) int {
	return int(rh.local(t).Unix() / 86400)
}

func (pa *personActivity) step(g *engine, a *actor, t time.Time) {
	p := pa.p
	if day := localDay(&p.rhythm, t); day != p.sessionDay {
		// The first activity of a local day starts with a sign-in to the
		// identity provider, and a builder's Claude Code report of the
		// day before arrives.
		p.sessionDay = day
		a.push(pa.idpSignIn(g, a.rng, t))
		if p.role == roleBuilder && p.claude && p.claudeDay != int64(day) {
			p.claudeDay = int64(day)
			a.push(g.claudeCode(a.rng, t, p))
		}
		t = t.Add(time.Duration(10+a.rng.IntN(50)) * time.Second)
	}
	if f := choose(a.rng, pa.actions); f != nil {
		f(g, a, t)
	}
}

// idpSignIn is a sign-in to the person's identity provider.
func (pa *personActivity) idpSignIn(g *engine, r rng, t time.Time) Record {
	p := pa.p
	if p.entra != nil {
		return g.entraUserSignIn(r, t, p, "Office 365", entraOffice, "Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000")
	}
	return g.oktaSession(r, t, p)
}

// appSignIn is a sign-in to an application through the person's IdP.
func (pa *personActivity) appSignIn(g *engine, a *actor, t time.Time, app string) {
	p := pa.p
	if p.entra != nil {
		id := stableUUID(g.cfg.Seed, "entra-app:"+app)
		a.push(g.entraUserSignIn(a.rng, t, p, app, id, app, id))
		return
	}
	a.push(g.oktaSSO(a.rng, t, p, app))
}

func (pa *personActivity) aiAppSignIn(g *engine, a *actor, t time.Time) {
	pa.appSignIn(g, a, t, pick(a.rng, pa.p.apps).name)
}

func (pa *personActivity) shadowSignIn(g *engine, a *actor, t time.Time) {
	pa.appSignIn(g, a, t, pick(a.rng, pa.p.shadow).name)
}

func (pa *personActivity) workAppSignIn(g *engine, a *actor, t time.Time) {
	pa.appSignIn(g, a, t, pick(a.rng, workApps))
}

func (pa *personActivity) gatewayChat(g *engine, a *actor, t time.Time) {
	p := pa.p
	a.push(g.gatewayChat(a.rng, t, p, p.email, p.gatewayIdentity(&g.cfg.Tenants), benignPrompt(a.rng), schemas.CategoryModelInference))
}

func (pa *personActivity) claudeChat(g *engine, a *actor, t time.Time) {
	a.push(g.claudeChat(a.rng, t, pa.p))
}

// openaiUse is a sign-in to the OpenAI platform, or the usage row of the
// hour when the person has none yet.
func (pa *personActivity) openaiUse(g *engine, a *actor, t time.Time) {
	p := pa.p
	hour := t.Unix() / 3600
	if hour == p.openAIHour || a.rng.chance(0.3) {
		a.push(g.openaiLogin(a.rng, t, p))
		return
	}
	p.openAIHour = hour
	project := byEnv(g.cfg.Tenants.OpenAIProjects, schemas.EnvDevelopment)
	uid := p.openaiID
	a.push(g.openaiUsage(a.rng, t, project.ID, pick(a.rng, openAIModels[:2]), p.openaiIdentity(&g.cfg.Tenants), &uid, nil, a.rng.between(1, 30)))
}

func (pa *personActivity) openaiKey(g *engine, a *actor, t time.Time) {
	a.push(g.openaiKeyCreated(a.rng, t, pa.p, byEnv(g.cfg.Tenants.OpenAIProjects, schemas.EnvDevelopment)))
}

// builderAWS returns the builder's IAM user in account, on the CLI.
func builderAWS(p *person, account string) *awsPrincipal {
	return &awsPrincipal{
		account: account, userName: p.login, userID: p.awsUserIDs[account], accessKey: p.awsKeys[account],
		identity: p.awsIdentity(account),
	}
}

// awsDev is a builder's work in the development account: training jobs,
// datasets, artifacts, experiments with Bedrock.
func (pa *personActivity) awsDev(g *engine, a *actor, t time.Time) {
	p := pa.p
	acct := g.pop.awsAccount(schemas.EnvDevelopment, 0)
	who := builderAWS(p, acct.ID)
	r := a.rng
	ua := "aws-cli/2.17." + itoa(r.between(0, 40)) + " md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9"
	var c awsCall
	switch choose(r, []weighted[int]{{3, 0}, {3, 1}, {1, 2}, {1, 3}, {2, 4}}) {
	case 0:
		key := "datasets/" + pick(r, []string{"tickets", "churn", "fraud", "invoices"}) + "/part-" + r.hex(5) + ".parquet"
		c = s3Object("GetObject", g.pop.datasetsBucket(), key, acct.ID, int64(r.logNormal(3e6, 1)), 0)
	case 1:
		c = bedrockInvoke(pick(r, bedrockModels), "us-east-1", int(r.logNormal(800, 0.7)), int(r.logNormal(300, 0.6)), r.chance(0.5))
	case 2:
		job := "exp-" + p.login + "-" + r.hex(6)
		c = awsCall{source: "sagemaker.amazonaws.com", name: "CreateTrainingJob", category: schemas.CategoryTrainingPipeline,
			req: m{"trainingJobName": job, "roleArn": "arn:aws:iam::" + acct.ID + ":role/sagemaker-training",
				"algorithmSpecification": m{"trainingInputMode": "File", "trainingImage": acct.ID + ".dkr.ecr.us-east-1.amazonaws.com/trainer:latest"}},
			resp: m{"trainingJobArn": "arn:aws:sagemaker:us-east-1:" + acct.ID + ":training-job/" + job}}
	case 3:
		name := "exp-model-" + r.hex(5)
		c = awsCall{source: "sagemaker.amazonaws.com", name: "CreateModel", category: schemas.CategoryModelManagement,
			req:  m{"modelName": name, "executionRoleArn": "arn:aws:iam::" + acct.ID + ":role/sagemaker-inference"},
			resp: m{"modelArn": "arn:aws:sagemaker:us-east-1:" + acct.ID + ":model/" + name}}
	default:
		key := "experiments/" + p.login + "/" + r.hex(6) + "/model.tar.gz"
		c = s3Object("PutObject", g.pop.artifactsBucket(), key, acct.ID, 0, int64(r.logNormal(5e7, 1)))
	}
	c.ip, c.userAgent = p.officeIP, ua
	if !p.rhythm.working(t) {
		c.ip = p.homeIP
	}
	a.push(g.cloudTrail(r, t, who, c))
}

// awsProdRead is a builder looking at production: endpoints and model
// packages, read only.
func (pa *personActivity) awsProdRead(g *engine, a *actor, t time.Time) {
	p := pa.p
	acct := g.pop.awsAccount(schemas.EnvProduction, 0)
	who := builderAWS(p, acct.ID)
	r := a.rng
	c := awsCall{source: "sagemaker.amazonaws.com", name: "DescribeEndpoint", readOnly: true, category: schemas.CategoryModelManagement,
		req: m{"endpointName": pick(r, prodEndpoints)}}
	if r.chance(0.4) {
		c = awsCall{source: "sagemaker.amazonaws.com", name: "ListModelPackages", readOnly: true, category: schemas.CategoryModelManagement,
			req: m{"modelPackageGroupName": pick(r, prodEndpoints)}}
	}
	c.ip, c.userAgent = p.officeIP, "aws-cli/2.17.12 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9"
	a.push(g.cloudTrail(r, t, who, c))
}

// prodEndpoints are the production model endpoints and package groups.
var prodEndpoints = []string{"fraud-scorer", "support-ranker", "churn-predictor", "doc-classifier"}

func (pa *personActivity) gcpDev(g *engine, a *actor, t time.Time) {
	p := pa.p
	r := a.rng
	project := g.pop.gcpProject(schemas.EnvDevelopment, 0).ID
	who := &gcpPrincipal{email: p.email, identity: p.gcpIdentity(&g.cfg.Tenants), ip: p.officeIP,
		ua: "google-cloud-sdk gcloud/501.0.0 command/gcloud.ai interactive/True python/3.11.4"}
	var c gcpCall
	switch choose(r, []weighted[int]{{4, 0}, {2, 1}, {1, 2}, {1, 3}}) {
	case 0:
		c = vertexGenerate(project, pick(r, vertexModels[:2]))
	case 1:
		c = gcsGet(project, project+"-datasets", "tickets/part-"+r.hex(5)+".jsonl")
	case 2:
		c = vertexJob(project, "finetune-"+p.login+"-"+r.hex(4))
	default:
		c = vertexUpload(project, "exp-"+r.hex(5), "gs://"+g.pop.gcsModels(project)+"/exp/"+r.hex(6))
	}
	a.push(g.gcpAudit(r, t, who, c))
}

func (pa *personActivity) githubGit(g *engine, a *actor, t time.Time) {
	action := "git.clone"
	if a.rng.chance(0.4) {
		action = "git.push"
	}
	a.push(g.githubGit(a.rng, t, pa.p, pick(a.rng, g.cfg.Tenants.GitHubOrgs).ID, action))
}

// kubectl is a builder looking at their experiments in the development
// cluster.
func (pa *personActivity) kubectl(g *engine, a *actor, t time.Time) {
	p := pa.p
	r := a.rng
	c := k8sCall{verb: "get", resource: "pods", version: "v1", namespace: "ml-experiments", category: schemas.CategoryOther}
	if r.chance(0.3) {
		c = k8sCall{verb: "create", resource: "pytorchjobs", group: "kubeflow.org", version: "v1", namespace: "ml-experiments",
			name: "ft-" + p.login[:min(len(p.login), 8)] + "-" + r.hex(4), category: schemas.CategoryTrainingPipeline}
	}
	a.push(g.k8sAudit(r, t, p.devCluster.ID, personPrincipal(p.devCluster.ID, p), c))
}

// agentActivity is what an agent workload does at each tick.
type agentActivity struct {
	a *agent
	// session is the agent's current role session, renewed hourly.
	session *awsPrincipal
}

func (aa *agentActivity) step(g *engine, a *actor, t time.Time) {
	ag := aa.a
	c := ag.cred
	r := a.rng
	switch ag.arch {
	case archBedrockApp, archRAGIndexer, archBedrockAgent:
		who := aa.roleSession(r, t)
		var call awsCall
		switch {
		case ag.arch == archBedrockAgent && r.chance(0.3):
			call = awsCall{source: "bedrock.amazonaws.com", name: "Retrieve", readOnly: true, category: schemas.CategoryDataAccess,
				req: m{"knowledgeBaseId": stableID(g.cfg.Seed, "kb:"+c.bucket, 10)}}
		case ag.arch == archBedrockAgent:
			call = bedrockInvoke(ag.models[0], ag.region, int(r.logNormal(2000, 0.5)), int(r.logNormal(200, 0.5)), true)
			call.name = "ConverseStream"
		case ag.arch == archRAGIndexer && r.chance(0.1):
			call = s3List(c.bucket, c.prefix, c.account.ID)
		case ag.arch == archRAGIndexer && r.chance(0.7), ag.arch == archBedrockApp && r.chance(0.3):
			call = s3Object("GetObject", c.bucket, c.prefix+"docs/"+r.hex(8)+".pdf", c.account.ID, int64(r.logNormal(2e5, 0.8)), 0)
		case ag.arch == archBedrockApp && r.chance(0.05):
			call = awsCall{source: "kms.amazonaws.com", name: "Decrypt", readOnly: true, category: schemas.CategorySecretAccess,
				req:       m{"encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
				resources: []ctResource{{AccountID: c.account.ID, Type: "AWS::KMS::Key", ARN: "arn:aws:kms:us-east-1:" + c.account.ID + ":key/" + stableUUID(g.cfg.Seed, "kms:"+c.account.ID)}}}
		default:
			call = bedrockInvoke(ag.models[0], ag.region, int(r.logNormal(1500, 0.6)), int(r.logNormal(250, 0.6)), ag.arch == archBedrockApp && r.chance(0.5))
		}
		call.ip, call.userAgent = ag.ip, ag.userAgent
		a.push(g.cloudTrail(r, t, who, call))
	case archBatchKey:
		who := &awsPrincipal{account: c.account.ID, userName: c.userName, userID: c.userID, accessKey: c.accessKey, identity: c.identity}
		call := bedrockInvoke(pick(r, ag.models), ag.region, int(r.logNormal(3000, 0.5)), int(r.logNormal(500, 0.5)), r.chance(0.2))
		call.ip, call.userAgent = ag.ip, ag.userAgent
		a.push(g.cloudTrail(r, t, who, call))
	case archGatewayAgent:
		a.push(g.gatewayAgentCall(r, t, ag, r.chance(0.15)))
	case archVertexAgent:
		who := &gcpPrincipal{email: c.saEmail, identity: c.identity, ip: ag.ip, ua: ag.userAgent}
		if c.keyID != "" {
			who.keyName = "//iam.googleapis.com/projects/" + c.project.ID + "/serviceAccounts/" + c.saEmail + "/keys/" + c.keyID
		}
		call := vertexGenerate(c.project.ID, ag.models[0])
		if r.chance(0.3) {
			call = gcsGet(g.pop.gcpProject(schemas.EnvProduction, 1).ID, g.pop.gcsDatasets(), "exports/tickets-"+r.hex(4)+".jsonl")
		}
		a.push(g.gcpAudit(r, t, who, call))
	case archEntraAgent:
		// The service principal's name is the agent's it was created for,
		// whichever workload holds its secret.
		sp := c.shared[0].name
		if r.chance(0.8) {
			a.push(g.entraServiceSignIn(r, t, c, sp, ag.ip, "Azure OpenAI Service", entraCognitive))
		} else {
			a.push(g.entraServiceSignIn(r, t, c, sp, ag.ip, "Microsoft Graph", entraGraph))
		}
	case archK8sAgent:
		who := serviceAccountPrincipal(c.cluster.ID, c.namespace, ag.name, ag.name+"-"+stableHex(g.cfg.Seed, "pod:"+ag.name, 5), ag.ip, ag.userAgent)
		call := k8sCall{verb: "get", resource: "configmaps", version: "v1", namespace: c.namespace, name: ag.name + "-prompts", category: schemas.CategoryDataAccess}
		switch choose(r, []weighted[int]{{5, 0}, {2, 1}, {2, 2}, {1, 3}}) {
		case 1:
			call = k8sCall{verb: "get", resource: "secrets", version: "v1", namespace: c.namespace, name: ag.name + "-llm-key", category: schemas.CategorySecretAccess}
		case 2:
			call = k8sCall{verb: "list", resource: "pods", version: "v1", namespace: c.namespace, category: schemas.CategoryOther}
		case 3:
			call = k8sCall{verb: "get", resource: "inferenceservices", group: "serving.kserve.io", version: "v1beta1", namespace: c.namespace,
				name: ag.name + "-llm", category: schemas.CategoryModelManagement}
		}
		a.push(g.k8sAudit(r, t, c.cluster.ID, who, call))
	case archOpenAIKey:
		if hour := t.Unix() / 3600; hour != ag.usageHour {
			ag.usageHour = hour
			key := c.apiKeyID
			a.push(g.openaiUsage(r, t, c.openaiProject.ID, ag.models[0], c.identity, nil, &key, r.between(20, 400)))
		}
	case archAnthropicKey:
		if hour := t.Unix() / 3600; hour != ag.usageHour {
			ag.usageHour = hour
			a.push(g.anthropicUsage(r, t, c, ag.models[0]))
		}
	}
}

// roleSession returns the agent's role session at t, renewed every hour
// as the AWS SDKs do.
func (aa *agentActivity) roleSession(r rng, t time.Time) *awsPrincipal {
	ag, c := aa.a, aa.a.cred
	if aa.session == nil || t.Sub(aa.session.sessionStart) >= time.Hour {
		session := ag.name + "-" + r.hex(4)
		path := ""
		invokedBy := ""
		if ag.arch == archBedrockAgent {
			session = "BedrockAgent-" + r.hex(6)
			path = "service-role/"
			invokedBy = "bedrock.amazonaws.com"
		}
		aa.session = &awsPrincipal{
			account: c.account.ID, roleName: c.roleName, roleID: c.roleID, rolePath: path, session: session,
			sessionStart: t.Truncate(time.Second), invokedBy: invokedBy,
			accessKey: "ASIA" + r.chars(base32AWS, 16), identity: c.identity,
		}
	}
	return aa.session
}

// serviceActivity is what a workload without AI does.
type serviceActivity struct {
	s       *service
	session *awsPrincipal
}

func (sa *serviceActivity) step(g *engine, a *actor, t time.Time) {
	s := sa.s
	r := a.rng
	switch s.kind {
	case svcCIDeploy, svcBackup:
		if sa.session == nil || t.Sub(sa.session.sessionStart) >= time.Hour {
			sa.session = &awsPrincipal{account: s.account.ID, roleName: s.name, roleID: s.roleID, session: s.name + "-" + r.hex(6),
				sessionStart: t.Truncate(time.Second), accessKey: "ASIA" + r.chars(base32AWS, 16), identity: s.identity}
		}
		var c awsCall
		if s.kind == svcCIDeploy {
			c = awsCall{source: "ecs.amazonaws.com", name: "UpdateService", category: schemas.CategoryOther,
				req: m{"cluster": "web", "service": pick(r, []string{"api", "web", "worker"}), "forceNewDeployment": true}}
			if r.chance(0.4) {
				c = s3Object("GetObject", g.pop.prefix+"-ci-artifacts", "builds/"+r.hex(8)+".zip", s.account.ID, int64(r.logNormal(2e7, 0.5)), 0)
			}
		} else {
			c = s3Object("PutObject", g.pop.backupBucket(), "snapshots/"+t.UTC().Format("2006-01-02")+"/"+r.hex(8)+".tar.zst", s.account.ID, 0, int64(r.logNormal(1e8, 0.7)))
			if r.chance(0.2) {
				c = awsCall{source: "kms.amazonaws.com", name: "GenerateDataKey", category: schemas.CategorySecretAccess,
					req:       m{"keySpec": "AES_256"},
					resources: []ctResource{{AccountID: s.account.ID, Type: "AWS::KMS::Key", ARN: "arn:aws:kms:us-east-1:" + s.account.ID + ":key/" + stableUUID(g.cfg.Seed, "kms-backup:"+s.account.ID)}}}
			}
		}
		c.ip, c.userAgent = s.ip, "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5"
		a.push(g.cloudTrail(r, t, sa.session, c))
	case svcOktaClient:
		a.push(g.oktaClientGrant(r, t, s))
	case svcReleaseBot:
		action := "git.clone"
		if r.chance(0.3) {
			action = "git.push"
		}
		a.push(g.githubBot(r, t, s, action))
	case svcGCPBackup:
		who := &gcpPrincipal{email: s.name, identity: s.identity, ip: s.ip, ua: "gcloud-golang-storage/1.43.0"}
		a.push(g.gcpAudit(r, t, who, gcsCreate(s.project.ID, s.project.ID+"-backups", "snapshots/"+r.hex(8)+".tar")))
	case svcEntraMI:
		a.push(g.entraManagedIdentitySignIn(r, t, s))
	case svcK8sMonitor:
		who := serviceAccountPrincipal(s.cluster.ID, "monitoring", s.name, s.name+"-0", s.ip, "prometheus/2.53.0")
		a.push(g.k8sAudit(r, t, s.cluster.ID, who, k8sCall{verb: "list", resource: "pods", version: "v1", category: schemas.CategoryOther}))
	default:
		g.err = fmt.Errorf("service %s: unknown kind %d", s.name, s.kind)
	}
}
