package simulate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// maxScenarioSpan is the longest an instance of each scenario lasts; an
// instance that would not end before the simulation does is not started,
// so that every label covers a whole attack.
var maxScenarioSpan = map[string]time.Duration{
	ScenarioAfterHoursModelChange:    time.Hour + 10*time.Minute,
	ScenarioAgentCrossTenant:         35 * time.Minute,
	ScenarioAgentDataSpike:           75 * time.Minute,
	ScenarioAgentPrivilegeEscalation: 45 * time.Minute,
	ScenarioLLMjacking:               2 * time.Hour,
	ScenarioConfidentialPrompt:       25 * time.Minute,
	ScenarioPersonalAccountAI:        time.Hour,
}

// scenarioTarget is who an instance happens to: a person or an agent.
type scenarioTarget struct {
	p *person
	a *agent
}

// key names the identity an instance on t happens to: agents sharing a
// credential are one.
func (t scenarioTarget) key() string {
	if t.p != nil {
		return t.p.id
	}
	return t.a.cred.identity
}

// candidates returns who can be the target of a scenario kind, and what
// the population lacks when there is no one.
func (pop *population) candidates(kind string) ([]scenarioTarget, string) {
	var out []scenarioTarget
	people := func(ok func(*person) bool) {
		for _, p := range pop.people {
			if ok(p) {
				out = append(out, scenarioTarget{p: p})
			}
		}
	}
	agents := func(archs ...archetype) {
		for _, a := range pop.agents {
			if slices.Contains(archs, a.arch) {
				out = append(out, scenarioTarget{a: a})
			}
		}
	}
	switch kind {
	case ScenarioAfterHoursModelChange:
		people(func(p *person) bool { return p.role == roleBuilder })
		return out, "at least one builder"
	case ScenarioAgentCrossTenant, ScenarioAgentPrivilegeEscalation:
		agents(archBedrockApp, archRAGIndexer)
		return out, "at least two agents (the first two agents run on AWS roles)"
	case ScenarioAgentDataSpike:
		agents(archRAGIndexer, archBedrockApp)
		return out, "at least two agents (the first two agents run on AWS roles)"
	case ScenarioLLMjacking:
		agents(archBatchKey)
		return out, "at least three agents (the third runs on an IAM access key)"
	case ScenarioConfidentialPrompt:
		people(func(p *person) bool { return p.gateway })
		return out, "users or builders who use the AI gateway"
	case ScenarioPersonalAccountAI:
		people(func(p *person) bool { return p.personalEmail != "" })
		return out, "users or builders with a personal account (population.personal_share above 0)"
	}
	return nil, "a known scenario kind"
}

// instance is one injected attack and its ground truth.
type instance struct {
	kind     string
	n        int // the instance's number among those of its kind, from 1
	name     string
	target   scenarioTarget
	start    time.Time
	label    Label
	total    int
	emitted  int
	started  bool
	finished bool
}

// scheduler starts the instances of one configured scenario.
type scheduler struct {
	entry Scenario
	made  int
}

func (s *scheduler) step(g *engine, a *actor, t time.Time) {
	s.made++
	g.kindCount[s.entry.Kind]++
	n := g.kindCount[s.entry.Kind]
	target := g.chooseTarget(s.entry.Kind)
	start := alignStart(s.entry.Kind, target, t, a.rng)
	if start.Add(maxScenarioSpan[s.entry.Kind]).After(g.end) {
		return
	}
	inst := &instance{kind: s.entry.Kind, n: n, name: fmt.Sprintf("%s-%d", s.entry.Kind, n), target: target, start: start}
	g.instances = append(g.instances, inst)
	g.add(&actor{rng: newRNG(g.cfg.Seed, streamInstance+uint64(len(g.instances))), impl: &attack{inst: inst}}, start)
}

// next implements ticker: the next instance after every, until times.
func (s *scheduler) next(t, end time.Time) time.Time {
	times := s.entry.Times
	if times == 0 && s.entry.Every == 0 {
		times = 1
	}
	if (times > 0 && s.made >= times) || s.entry.Every == 0 {
		return time.Time{}
	}
	n := t.Add(s.entry.Every)
	if !n.Before(end) {
		return time.Time{}
	}
	return n
}

// chooseTarget picks the candidate least used by instances of kind, then
// by instances of any kind, so that instances fall on different
// identities while there are.
func (g *engine) chooseTarget(kind string) scenarioTarget {
	list := g.targets[kind]
	used := func(c scenarioTarget) (int, int) { return g.targeted[kind+"/"+c.key()], g.targeted[c.key()] }
	best := 0
	for i, c := range list[1:] {
		k, all := used(c)
		bk, ball := used(list[best])
		if k < bk || k == bk && all < ball {
			best = i + 1
		}
	}
	t := list[best]
	g.targeted[kind+"/"+t.key()]++
	g.targeted[t.key()]++
	return t
}

// alignStart moves an instance to a suitable time of its target on or
// after t.
func alignStart(kind string, target scenarioTarget, t time.Time, r rng) time.Time {
	p := target.p
	switch kind {
	case ScenarioAfterHoursModelChange:
		return p.rhythm.nextLocal(t, 1+r.Float64()*2, 0.25, true).Add(time.Duration(r.IntN(600)) * time.Second)
	case ScenarioConfidentialPrompt:
		return p.rhythm.nextLocal(t, p.rhythm.start+1+r.Float64()*max(0, p.rhythm.length-3), 0.25, true)
	case ScenarioPersonalAccountAI:
		return p.rhythm.nextLocal(t, 19+r.Float64()*3, 0.25, false)
	}
	return t.Add(time.Duration(r.IntN(1800)) * time.Second)
}

// attack plays one instance: at its first tick it writes its records.
type attack struct{ inst *instance }

func (at *attack) step(g *engine, a *actor, t time.Time) {
	inst := at.inst
	b := &script{g: g, a: a, inst: inst, t: t}
	switch inst.kind {
	case ScenarioAfterHoursModelChange:
		b.afterHoursModelChange()
	case ScenarioAgentCrossTenant:
		b.crossTenant()
	case ScenarioAgentDataSpike:
		b.dataSpike()
	case ScenarioAgentPrivilegeEscalation:
		b.privilegeEscalation()
	case ScenarioLLMjacking:
		b.llmjacking()
	case ScenarioConfidentialPrompt:
		b.confidentialPrompt()
	case ScenarioPersonalAccountAI:
		b.personalAccount()
	}
	inst.label.Scenario, inst.label.Instance = inst.kind, inst.name
	if p := inst.target.p; p != nil {
		inst.label.Person = p.id
		inst.label.IdentityClass = schemas.ClassAIUser
		if p.role == roleBuilder {
			inst.label.IdentityClass = schemas.ClassAIBuilder
		}
	} else {
		inst.label.IdentityClass = schemas.ClassAIAgent
		if inst.target.a.owner != nil {
			inst.label.Person = inst.target.a.owner.id
		}
	}
}

// next implements ticker: an instance writes all its records at once.
func (at *attack) next(time.Time, time.Time) time.Time { return time.Time{} }

// script writes the records of one instance, each after the one before.
type script struct {
	g    *engine
	a    *actor
	inst *instance
	t    time.Time
}

// after advances the script's clock by a random time in [lo, hi].
func (s *script) after(lo, hi time.Duration) time.Time {
	s.t = s.t.Add(lo + time.Duration(s.a.rng.Int64N(int64(hi-lo)+1))).Truncate(time.Millisecond)
	return s.t
}

// add records r as part of the instance.
func (s *script) add(r Record) {
	r.Scenario, r.Instance = s.inst.kind, s.inst.name
	s.inst.total++
	if s.inst.label.IdentityID == "" {
		s.inst.label.IdentityID = r.IdentityID
	}
	s.a.push(r)
}

func (s *script) afterHoursModelChange() {
	p, g, r := s.inst.target.p, s.g, s.a.rng
	model := pick(r, prodEndpoints)
	version := r.between(8, 40)
	if s.inst.n%2 == 0 { // every other instance happens on Google Cloud
		s.afterHoursGCP(p, model, version)
		return
	}
	acct := g.pop.awsAccount(schemas.EnvProduction, 0)
	who := builderAWS(p, acct.ID)
	ip, ua := p.homeIP, "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9"
	call := func(c awsCall) Record {
		c.ip, c.userAgent = ip, ua
		return g.cloudTrail(r, s.t, who, c)
	}
	weights := "s3://" + g.pop.weightsBucket() + "/" + model + "/v" + itoa(version) + "/model.tar.gz"
	s.add(call(s3Object("PutObject", g.pop.weightsBucket(), model+"/v"+itoa(version)+"/model.tar.gz", acct.ID, 0, int64(r.logNormal(2e9, 0.4)))))
	s.after(2*time.Minute, 5*time.Minute)
	s.add(call(awsCall{source: "sagemaker.amazonaws.com", name: "CreateModelPackage", category: schemas.CategoryModelManagement,
		req: m{"modelPackageGroupName": model, "modelApprovalStatus": "Approved",
			"inferenceSpecification": m{"containers": []m{{"image": acct.ID + ".dkr.ecr.us-east-1.amazonaws.com/" + model + ":" + itoa(version), "modelDataUrl": weights}}}},
		resp: m{"modelPackageArn": "arn:aws:sagemaker:us-east-1:" + acct.ID + ":model-package/" + model + "/" + itoa(version)}}))
	s.after(3*time.Minute, 6*time.Minute)
	s.add(call(awsCall{source: "sagemaker.amazonaws.com", name: "CreateModel", category: schemas.CategoryModelManagement,
		req:  m{"modelName": model + "-v" + itoa(version), "executionRoleArn": "arn:aws:iam::" + acct.ID + ":role/sagemaker-inference"},
		resp: m{"modelArn": "arn:aws:sagemaker:us-east-1:" + acct.ID + ":model/" + model + "-v" + itoa(version)}}))
	s.after(1*time.Minute, 3*time.Minute)
	s.add(call(awsCall{source: "sagemaker.amazonaws.com", name: "UpdateEndpoint", category: schemas.CategoryModelManagement,
		req:  m{"endpointName": model, "endpointConfigName": model + "-v" + itoa(version)},
		resp: m{"endpointArn": "arn:aws:sagemaker:us-east-1:" + acct.ID + ":endpoint/" + model}}))
	s.after(15*time.Minute, 35*time.Minute)
	user := "svc-" + model + "-sync"
	s.add(call(iamCall("CreateUser", m{"userName": user}, schemas.CategoryIAMChange)))
	s.after(30*time.Second, 90*time.Second)
	s.add(call(iamCall("AttachUserPolicy", m{"userName": user, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}, schemas.CategoryIAMChange)))
	s.after(20*time.Second, 60*time.Second)
	c := iamCall("CreateAccessKey", m{"userName": user}, schemas.CategoryIAMChange)
	c.resp = m{"accessKey": m{"accessKeyId": "AKIA" + r.chars(base32AWS, 16), "status": "Active", "userName": user}}
	s.add(call(c))
	s.inst.label.Description = fmt.Sprintf("builder %s replaced the weights of production model %s (v%d) at %s local time, then created IAM user %s with AdministratorAccess and an access key in account %s",
		p.email, model, version, p.rhythm.local(s.inst.start).Format("15:04"), user, acct.ID)
}

func (s *script) afterHoursGCP(p *person, model string, version int) {
	g, r := s.g, s.a.rng
	project := g.pop.gcpProject(schemas.EnvProduction, 0).ID
	who := &gcpPrincipal{email: p.email, identity: p.gcpIdentity(&g.cfg.Tenants), ip: p.homeIP,
		ua: "google-cloud-sdk gcloud/501.0.0 command/gcloud.ai.models.upload interactive/True python/3.11.4"}
	s.add(g.gcpAudit(r, s.t, who, vertexUpload(project, model, "gs://"+g.pop.gcsModels(project)+"/"+model+"/v"+itoa(version))))
	s.after(3*time.Minute, 8*time.Minute)
	s.add(g.gcpAudit(r, s.t, who, vertexDeploy(project, itoa(1000000000+r.IntN(900000000)), itoa(7000000000+r.IntN(900000000)))))
	s.after(15*time.Minute, 35*time.Minute)
	account := model + "-sync"
	email := account + "@" + project + ".iam.gserviceaccount.com"
	who.ua = "google-cloud-sdk gcloud/501.0.0 command/gcloud.iam.service-accounts.create interactive/True python/3.11.4"
	s.add(g.gcpAudit(r, s.t, who, gcpCreateServiceAccount(project, account, "Model sync")))
	s.after(40*time.Second, 2*time.Minute)
	s.add(g.gcpAudit(r, s.t, who, gcpGrant(project, "serviceAccount:"+email, "roles/aiplatform.admin")))
	s.after(20*time.Second, time.Minute)
	s.add(g.gcpAudit(r, s.t, who, gcpCreateKey(project, email)))
	s.inst.label.Description = fmt.Sprintf("builder %s uploaded and deployed a new version of production model %s (v%d) at %s local time, then created service account %s with roles/aiplatform.admin on %s and a key for it",
		p.email, model, version, p.rhythm.local(s.inst.start).Format("15:04"), email, project)
}

// session returns a fresh session of an agent's role.
func (s *script) session(ag *agent) *awsPrincipal {
	c, r := ag.cred, s.a.rng
	return &awsPrincipal{
		account: c.account.ID, roleName: c.roleName, roleID: c.roleID, session: ag.name + "-" + r.hex(4),
		sessionStart: s.t.Truncate(time.Second), accessKey: "ASIA" + r.chars(base32AWS, 16), identity: c.identity,
	}
}

func (s *script) crossTenant() {
	ag, g, r := s.inst.target.a, s.g, s.a.rng
	who := s.session(ag)
	foreign := g.cfg.Tenants.ExternalAWSAccounts
	roles := []string{"OrganizationAccountAccessRole", "partner-data-share", "bedrock-cross-account", "ReadOnlyAccess"}
	tries := r.between(3, 6)
	var tried, reached []string
	for i := range tries {
		if i > 0 {
			s.after(30*time.Second, 4*time.Minute)
		}
		acct := pick(r, foreign)
		if !slices.Contains(tried, acct) {
			tried = append(tried, acct)
		}
		role := pick(r, roles)
		roleARN := "arn:aws:iam::" + acct + ":role/" + role
		c := awsCall{source: "sts.amazonaws.com", name: "AssumeRole", readOnly: true, category: schemas.CategoryAuthorization,
			req:       m{"roleArn": roleARN, "roleSessionName": ag.name + "-" + r.hex(4), "durationSeconds": 3600},
			resources: []ctResource{{AccountID: acct, Type: "AWS::IAM::Role", ARN: roleARN}},
			ip:        ag.ip, userAgent: ag.userAgent}
		if i < tries-1 && i < 3 {
			c = accessDenied(c, who, "sts:AssumeRole", roleARN)
		} else {
			c.resp = m{
				"credentials": m{"accessKeyId": "ASIA" + r.chars(base32AWS, 16), "sessionToken": "IQoJb3JpZ2luX2Vj" + r.chars(base62, 40),
					"expiration": s.t.Add(time.Hour).UTC().Format("Jan 2, 2006, 3:04:05 PM")},
				"assumedRoleUser": m{"assumedRoleId": "AROA" + r.chars(base32AWS, 17) + ":" + ag.name,
					"arn": "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + ag.name},
			}
			c.sharedEventID = r.uuid()
			reached = append(reached, acct)
		}
		s.add(g.cloudTrail(r, s.t, who, c))
	}
	s.inst.label.Description = fmt.Sprintf("agent %s (role %s in %s) tried %d role assumptions into foreign accounts %s and got into %s",
		ag.name, ag.cred.roleName, ag.cred.account.ID, tries, strings.Join(tried, ", "), strings.Join(reached, ", "))
}

func (s *script) dataSpike() {
	ag, g, r := s.inst.target.a, s.g, s.a.rng
	c := ag.cred
	who := s.session(ag)
	// At its peak the agent reads rate×0.7 objects an hour (see
	// agentActivity); the spike reads ten times that in an hour, bigger
	// objects too.
	n := max(int(10*ag.rate*g.cfg.Population.Activity*0.7), 60)
	begin := s.t
	var total int64
	for i := range n {
		at := begin.Add(time.Duration(float64(time.Hour) * float64(i) / float64(n))).Add(time.Duration(r.IntN(2000)) * time.Millisecond).Truncate(time.Millisecond)
		s.t = at
		size := int64(r.logNormal(3e5, 0.8))
		total += size
		call := s3Object("GetObject", c.bucket, c.prefix+"docs/"+r.hex(8)+".pdf", c.account.ID, size, 0)
		if i%7 == 0 {
			call = s3List(c.bucket, c.prefix, c.account.ID)
		}
		call.ip, call.userAgent = ag.ip, ag.userAgent
		if i > 0 && i%100 == 0 {
			who = s.session(ag)
		}
		s.add(g.cloudTrail(r, s.t, who, call))
	}
	s.inst.label.Description = fmt.Sprintf("agent %s (role %s) read %d objects (%d MB) of s3://%s in an hour, ten times its normal peak",
		ag.name, c.roleName, n, total>>20, c.bucket)
}

func (s *script) privilegeEscalation() {
	ag, g, r := s.inst.target.a, s.g, s.a.rng
	c := ag.cred
	who := s.session(ag)
	acct := c.account.ID
	own := c.roleName
	helper := ag.name + "-helper"
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	adminRole := "arn:aws:iam::" + acct + ":role/ml-platform-admin"
	denied := 0
	step := func(call awsCall, action, resource string, deny bool) {
		call.ip, call.userAgent = ag.ip, ag.userAgent
		if deny {
			call = accessDenied(call, who, action, resource)
			denied++
		}
		s.add(g.cloudTrail(r, s.t, who, call))
		s.after(20*time.Second, 4*time.Minute)
	}
	step(awsCall{source: "iam.amazonaws.com", name: "ListAttachedRolePolicies", readOnly: true, category: schemas.CategoryOther,
		req: m{"roleName": own}}, "", "", false)
	step(iamCall("CreateRole", m{"roleName": helper, "assumeRolePolicyDocument": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`}, schemas.CategoryIAMChange),
		"iam:CreateRole", "arn:aws:iam::"+acct+":role/"+helper, false)
	step(iamCall("AttachRolePolicy", m{"roleName": own, "policyArn": admin}, schemas.CategoryIAMChange),
		"iam:AttachRolePolicy", "arn:aws:iam::"+acct+":role/"+own, true)
	step(iamCall("PutRolePolicy", m{"roleName": own, "policyName": "inline-" + r.hex(4)}, schemas.CategoryIAMChange),
		"iam:PutRolePolicy", "arn:aws:iam::"+acct+":role/"+own, true)
	step(iamCall("CreatePolicyVersion", m{"policyArn": "arn:aws:iam::" + acct + ":policy/" + ag.name + "-policy", "setAsDefault": true}, schemas.CategoryIAMChange),
		"iam:CreatePolicyVersion", "arn:aws:iam::"+acct+":policy/"+ag.name+"-policy", true)
	job := ag.name + "-job-" + r.hex(5)
	step(awsCall{source: "sagemaker.amazonaws.com", name: "CreateTrainingJob", category: schemas.CategoryTrainingPipeline,
		req: m{"trainingJobName": job, "roleArn": adminRole}}, "iam:PassRole", adminRole, true)
	step(awsCall{source: "lambda.amazonaws.com", name: "CreateFunction20150331", category: schemas.CategoryOther,
		req: m{"functionName": ag.name + "-fn", "role": adminRole, "runtime": "python3.12"}}, "iam:PassRole", adminRole, true)
	step(iamCall("AttachRolePolicy", m{"roleName": helper, "policyArn": admin}, schemas.CategoryIAMChange),
		"iam:AttachRolePolicy", "arn:aws:iam::"+acct+":role/"+helper, true)
	step(iamCall("AttachRolePolicy", m{"roleName": helper, "policyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"}, schemas.CategoryIAMChange),
		"", "", false)
	s.inst.label.Description = fmt.Sprintf("agent %s (role %s in %s) created role %s and tried to attach AdministratorAccess, add inline policies, replace its policy and pass role ml-platform-admin; %d of 9 calls denied",
		ag.name, own, acct, helper, denied)
}

func (s *script) llmjacking() {
	ag, g, r := s.inst.target.a, s.g, s.a.rng
	c := ag.cred
	who := &awsPrincipal{account: c.account.ID, userName: c.userName, userID: c.userID, accessKey: c.accessKey, identity: c.identity}
	ip := r.ipv4(netAttacker, 200, 250)
	ua := pick(r, []string{"python-requests/2.31.0", "Boto3/1.34.11 md/Botocore#1.34.11 ua/2.0 os/linux#6.5.0-kali3-amd64 lang/python#3.11.8"})
	region := pick(r, []string{"us-west-2", "eu-central-1"})
	add := func(call awsCall, gap time.Duration) {
		call.ip, call.userAgent = ip, ua
		if call.region == "" {
			call.region = region
		}
		s.add(g.cloudTrail(r, s.t, who, call))
		s.after(gap/3, gap)
	}
	add(awsCall{source: "sts.amazonaws.com", name: "GetCallerIdentity", readOnly: true, category: schemas.CategoryOther, region: "us-east-1"}, 40*time.Second)
	add(awsCall{source: "bedrock.amazonaws.com", name: "GetModelInvocationLoggingConfiguration", readOnly: true, category: schemas.CategoryLoggingChange}, 30*time.Second)
	for _, reg := range []string{"us-east-1", "us-west-2", "eu-central-1"} {
		add(awsCall{source: "bedrock.amazonaws.com", name: "ListFoundationModels", readOnly: true, category: schemas.CategoryModelManagement, region: reg}, 20*time.Second)
	}
	for _, model := range llmjackingModels {
		add(awsCall{source: "bedrock.amazonaws.com", name: "GetFoundationModelAvailability", readOnly: true, category: schemas.CategoryModelManagement,
			req: m{"modelId": model}}, 15*time.Second)
	}
	add(awsCall{source: "bedrock.amazonaws.com", name: "PutUseCaseForModelAccess", category: schemas.CategoryModelManagement,
		req: m{"formData": "HIDDEN_DUE_TO_SECURITY_REASONS"}}, 2*time.Minute)
	for _, model := range llmjackingModels[:2] {
		add(awsCall{source: "bedrock.amazonaws.com", name: "CreateFoundationModelAgreement", category: schemas.CategoryModelManagement,
			req: m{"modelId": model, "offerToken": "HIDDEN_DUE_TO_SECURITY_REASONS"}}, 45*time.Second)
	}
	add(awsCall{source: "bedrock.amazonaws.com", name: "DeleteModelInvocationLoggingConfiguration", category: schemas.CategoryLoggingChange}, 3*time.Minute)
	calls := r.between(100, 200)
	for i := range calls {
		call := bedrockInvoke(pick(r, llmjackingModels[:2]), region, int(r.logNormal(6000, 0.4)), int(r.logNormal(2500, 0.4)), i%4 == 0)
		add(call, 30*time.Second)
	}
	s.inst.label.Description = fmt.Sprintf("stolen access key %s of IAM user %s used from %s in %s: model access enumerated and enabled, invocation logging deleted, %d invocations of the largest models",
		c.accessKey, c.userName, ip, region, calls)
}

// sensitiveKinds are the kinds of confidential data the
// confidential_prompt scenario pastes, with the data types the content
// scanner reports for them.
var sensitiveKinds = []struct {
	types []schemas.DataType
	text  func(r rng) string
}{
	{[]schemas.DataType{schemas.DataCreditCard}, func(r rng) string {
		return "Why was this refund rejected? Card " + cardNumber(r) + " exp 09/27, and the second card " + cardNumber(r) + "."
	}},
	{[]schemas.DataType{schemas.DataCloudCredential}, func(r rng) string {
		return "The deploy script fails with these settings:\nAWS_ACCESS_KEY_ID=AKIA" + r.chars(base32AWS, 16) + "\nAWS_SECRET_ACCESS_KEY=" + awsSecret(r) + "\nWhat is wrong?"
	}},
	{[]schemas.DataType{schemas.DataNationalID, schemas.DataEmailAddress}, func(r rng) string {
		return "Draft a letter to the customer " + pick(r, firstNames) + " " + pick(r, lastNames) + ", SSN " + ssn(r) + ", mail " +
			strings.ToLower(pick(r, firstNames)) + "." + strings.ToLower(pick(r, lastNames)) + "@example.org, about the overdue balance."
	}},
	{[]schemas.DataType{schemas.DataAPIKey}, func(r rng) string {
		return "Fix my client, it says unauthorized: client = OpenAI(api_key=\"sk-proj-" + r.chars(base62, 48) + "\")"
	}},
	{[]schemas.DataType{schemas.DataConfidentialMarker, schemas.DataCreditCard}, func(r rng) string {
		return "CONFIDENTIAL - board pack. Summarise the acquisition terms; escrow is paid with card " + cardNumber(r) + "."
	}},
	{[]schemas.DataType{schemas.DataPassword}, func(r rng) string {
		return "Connect to postgres://reporting:" + r.chars(base62, 12) + "@warehouse.internal:5432/finance and list the tables."
	}},
}

func (s *script) confidentialPrompt() {
	p, g, r := s.inst.target.p, s.g, s.a.rng
	n := r.between(1, 3)
	var types []schemas.DataType
	for i := range n {
		if i > 0 {
			s.after(time.Minute, 6*time.Minute)
		}
		k := sensitiveKinds[(s.inst.n+i)%len(sensitiveKinds)]
		for _, t := range k.types {
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
		msgs := []chatMessage{{Role: "system", Content: "You are a helpful assistant for the company's employees."}, {Role: "user", Content: k.text(r)}}
		s.add(g.gatewayChat(r, s.t, p, p.email, p.gatewayIdentity(&g.cfg.Tenants), msgs, schemas.CategoryModelInference))
	}
	slices.Sort(types)
	s.inst.label.DataTypes = types
	s.inst.label.Description = fmt.Sprintf("%s pasted %s into %d prompts through the AI gateway", p.email, joinTypes(types), n)
}

func joinTypes(types []schemas.DataType) string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = string(t)
	}
	return strings.Join(out, ", ")
}

func (s *script) personalAccount() {
	p, g, r := s.inst.target.p, s.g, s.a.rng
	n := r.between(2, 5)
	proxy := s.inst.n%2 == 0
	for i := range n {
		if i > 0 {
			s.after(2*time.Minute, 10*time.Minute)
		}
		msgs := benignPrompt(r)
		if proxy {
			s.add(g.proxyConsumerChat(r, s.t, p, msgs))
		} else {
			s.add(g.gatewayChat(r, s.t, p, p.personalEmail, p.personalGatewayIdentity(&g.cfg.Tenants), msgs, schemas.CategoryModelInference))
		}
	}
	if proxy {
		s.inst.label.Description = fmt.Sprintf("%s used a consumer AI service with a personal account through the egress proxy, %d requests", p.email, n)
	} else {
		s.inst.label.Description = fmt.Sprintf("%s used the AI gateway under the personal address %s, %d requests", p.email, p.personalEmail, n)
	}
}

// cardNumber returns a Visa-shaped number that passes the Luhn check, in
// groups of four.
func cardNumber(r rng) string {
	d := make([]int, 16)
	d[0] = 4
	for i := 1; i < 15; i++ {
		d[i] = r.IntN(10)
	}
	sum := 0
	for i := 0; i < 15; i++ {
		v := d[i]
		if i%2 == 0 { // doubled: every second digit from the right, check digit excluded
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	d[15] = (10 - sum%10) % 10
	var b strings.Builder
	for i, v := range d {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(byte('0' + v))
	}
	return b.String()
}

// ssn returns a US social security number of a valid shape.
func ssn(r rng) string {
	area := r.between(100, 665)
	return fmt.Sprintf("%03d-%02d-%04d", area, r.between(10, 99), r.between(1000, 9999))
}

// awsSecret returns a 40-character secret access key shape mixing cases
// and digits.
func awsSecret(r rng) string {
	for {
		s := r.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+", 40)
		var up, lo, dg bool
		for i := range len(s) {
			c := s[i]
			up = up || c >= 'A' && c <= 'Z'
			lo = lo || c >= 'a' && c <= 'z'
			dg = dg || c >= '0' && c <= '9'
		}
		if up && lo && dg {
			return s
		}
	}
}
