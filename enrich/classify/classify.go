package classify

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/aitdr/aitdr/enrich/catalog"
	"github.com/aitdr/aitdr/schemas"
)

// AIUse is what one event did with an AI service, as the enrich stage
// resolved it from the catalog: the use, the service's name, the action,
// and the AI gateway it went through, if any. The evidence reads
// "Amazon Bedrock (InvokeModel)" or "OpenAI API (acompletion, through
// gateway litellm)".
type AIUse struct {
	Use     catalog.Use
	Service string
	Action  string
	Via     string
}

// detail is the evidence detail of the use; it allocates, so Observe
// calls it only for a new fact.
func (u AIUse) detail() string {
	d := u.Service
	switch {
	case u.Action != "" && u.Via != "":
		d += " (" + u.Action + ", through gateway " + u.Via + ")"
	case u.Action != "":
		d += " (" + u.Action + ")"
	case u.Via != "":
		d += " (through gateway " + u.Via + ")"
	}
	return d
}

// signalOf maps a use to its signal.
func signalOf(u catalog.Use) (Signal, bool) {
	switch u {
	case catalog.UseInference:
		return AIInference, true
	case catalog.UseSignIn:
		return AISignIn, true
	case catalog.UseAct:
		return AIAct, true
	case catalog.UseBuild:
		return AIBuild, true
	case catalog.UseKeys:
		return AIKeys, true
	case catalog.UseAdmin:
		return AIAdmin, true
	}
	return 0, false
}

// One-time checks of Evidence.checked.
const checkedName uint8 = 1

// nonHumanTypes are provider-native principal types that are never a
// person, consulted when the source does not give the identity's kind.
var nonHumanTypes = map[string]bool{
	"ServiceAccount": true, "ServicePrincipal": true, "ManagedIdentity": true, "AWSService": true,
	"WebIdentityUser": true, "Bot": true, "App": true, "Application": true, "SystemPrincipal": true,
	"PublicClientApp": true, "WorkloadIdentity": true, "service_account": true, "api_key": true,
	"virtual_key": true, "admin_api_key_actor": true, "api_actor": true, "system_actor": true,
	"federated_actor": true, "Integration": true, "System": true,
}

// sdkClients are the first product tokens (lower case) of user agents of
// SDKs, scripts and automation.
var sdkClients = map[string]bool{}

func init() {
	for _, c := range sdkClientNames {
		sdkClients[c] = true
	}
}

var sdkClientNames = []string{
	"boto3", "botocore", "aws-sdk-go", "aws-sdk-go-v2", "aws-sdk-java", "aws-sdk-nodejs", "aws-sdk-js",
	"aws-sdk-python", "aws-sdk-dotnet", "aws-sdk-ruby", "python-requests", "python-httpx", "python-urllib3",
	"python-urllib", "aiohttp", "go-http-client", "okhttp", "apache-httpclient", "java", "node-fetch", "axios",
	"undici", "openai", "anthropic", "google-api-go-client", "google-api-python-client", "gcloud-golang",
	"grpc-go", "grpc-java", "grpc-python", "terraform", "terraform-provider-aws", "terraform-provider-google",
	"terraform-provider-anthropic", "pulumi", "ansible", "octokit-rest.js", "okta-sdk-go", "okta-sdk-java",
	"python-kubernetes", "kubernetes-client", "client-go", "argo", "helm", "kube-controller-manager",
	"ms-graph-sdk", "azure-sdk-for-python", "azsdk-python", "azsdk-go", "litellm",
}

// Observe adds the evidence one event gives about its identity: what the
// source says of the principal, how it signed in, its client, its name
// (checked once), and use, what it did with an AI service (a zero use when
// none). It reports whether a new fact was added. It allocates only when a
// fact is new.
func Observe(ev *schemas.Event, use AIUse, e *Evidence) bool {
	p := &ev.Identity
	changed := false
	switch p.Kind {
	case schemas.KindHuman:
		if !e.Has(SourceHuman) {
			changed = e.Add(SourceHuman, principalDetail(p)) || changed
		}
	case schemas.KindService:
		if !e.Has(SourceService) {
			changed = e.Add(SourceService, principalDetail(p)) || changed
		}
	case schemas.KindAgent:
		if !e.Has(SourceAgent) {
			changed = e.Add(SourceAgent, principalDetail(p)) || changed
		}
	default:
		if !e.Has(NonHumanType) && nonHumanTypes[p.Type] {
			changed = e.Add(NonHumanType, p.Type) || changed
		}
		if e.checked&checkedName == 0 {
			e.checked |= checkedName
			changed = observeName(p, e) || changed
		}
	}
	if !e.Has(InteractiveSignIn) && ev.Outcome != schemas.OutcomeFailure {
		s := &ev.Session
		switch {
		case s.MFA:
			changed = e.Add(InteractiveSignIn, "mfa") || changed
		case ev.Action.Category == schemas.CategoryAuthentication &&
			(s.CredentialType == schemas.CredentialPassword || s.CredentialType == schemas.CredentialSSO):
			changed = e.Add(InteractiveSignIn, string(s.CredentialType)) || changed
		case ev.Attributes["aws.session_credential_from_console"] == "true":
			changed = e.Add(InteractiveSignIn, "console session") || changed
		}
	}
	if ua := ev.Network.UserAgent; ua != "" && (!e.Has(BrowserClient) || !e.Has(SDKClient)) {
		if strings.HasPrefix(ua, "Mozilla/") {
			if !e.Has(BrowserClient) {
				changed = e.Add(BrowserClient, ClientFamily(ua)) || changed
			}
		} else if !e.Has(SDKClient) {
			if fam := ClientFamily(ua); isSDK(fam) {
				changed = e.Add(SDKClient, fam) || changed
			}
		}
	}
	if !e.Has(MachineCredential) {
		switch ct := ev.Session.CredentialType; ct {
		case schemas.CredentialAPIKey, schemas.CredentialWorkloadIdentity:
			changed = e.Add(MachineCredential, string(ct)) || changed
		}
	}
	if sig, ok := signalOf(use.Use); ok && !e.Has(sig) {
		changed = e.Add(sig, use.detail()) || changed
	}
	return changed
}

func principalDetail(p *schemas.Principal) string {
	switch {
	case p.Provider != "" && p.Type != "":
		return p.Provider + " " + p.Type
	case p.Type != "":
		return p.Type
	}
	return p.Provider
}

// observeName adds PersonName or ServiceName from the shape of the
// principal's name, when the source did not give its kind.
func observeName(p *schemas.Principal, e *Evidence) bool {
	name := p.Name
	if name == "" {
		name = p.Email
	}
	if name == "" {
		return false
	}
	lower := strings.ToLower(name)
	local, _, _ := strings.Cut(lower, "@")
	for _, tok := range strings.FieldsFunc(local, func(r rune) bool { return !('a' <= r && r <= 'z') }) {
		if serviceNameHints[tok] {
			return e.Add(ServiceName, name)
		}
	}
	first, last, ok := strings.Cut(local, ".")
	if !ok {
		first, last, ok = strings.Cut(local, "_")
	}
	if ok && isLetters(first) && isLetters(strings.ReplaceAll(last, "-", "")) && len(first) > 1 && len(last) > 1 {
		return e.Add(PersonName, name)
	}
	return false
}

// serviceNameHints are words (between separators and digits) of the
// names of service accounts.
var serviceNameHints = map[string]bool{
	"svc": true, "service": true, "bot": true, "robot": true, "automation": true, "pipeline": true,
	"deploy": true, "deployer": true, "ci": true, "cicd": true, "agent": true, "worker": true,
	"runner": true, "terraform": true, "system": true, "integration": true, "sync": true, "daemon": true,
	"batch": true, "cron": true, "scheduler": true, "etl": true, "ingest": true, "indexer": true,
	"serviceaccount": true, "noreply": true, "app": true,
}

func isLetters(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// ClientFamily returns the first product token of a user agent, such as
// "Boto3" or "Mozilla", without its version; "[" wrappers (CloudTrail's)
// are skipped. It does not allocate.
func ClientFamily(ua string) string {
	ua = strings.TrimLeft(ua, "[")
	end := len(ua)
	for i := 0; i < len(ua); i++ {
		if c := ua[i]; c == '/' || c == ' ' || c == ';' || c == '(' {
			end = i
			break
		}
	}
	return ua[:end]
}

func isSDK(family string) bool {
	// Lower-cased on the stack: the lookup does not allocate.
	var buf [64]byte
	if len(family) > len(buf) {
		return false
	}
	b := buf[:len(family)]
	for i := 0; i < len(family); i++ {
		c := family[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return sdkClients[string(b)]
}

// Result is a class decision.
type Result struct {
	// Class is the identity's class.
	Class schemas.IdentityClass
	// Kind is human, service or agent as the evidence shows; unknown when
	// it does not tell.
	Kind schemas.IdentityKind
	// Confidence is from 0 to 1.
	Confidence float64
	// Evidence are the reasons for Class, as short sentences: the AI
	// activity that decided it first, then what tells a person from a
	// service, then the absence of AI activity where it matters.
	Evidence []string
}

// noAIBuckets are the event counts at which the confidence in "no AI
// activity" grows; Decide needs to run again only when a count crosses one.
var noAIBuckets = []int64{1, 5, 50, 500}

// Bucket returns the noAI bucket of an event count; a classifier re-decides
// when the bucket of its identity changes.
func Bucket(events int64) int {
	b := 0
	for i, n := range noAIBuckets {
		if events >= n {
			b = i
		}
	}
	return b
}

// Decide returns the class the evidence supports after events events.
//
//   - A person (humanness > 0) who builds AI or manages AI platform keys
//     is an ai_builder; one who runs models, signs in to AI apps or acts
//     through them is an ai_user; otherwise human.
//   - A non-person (humanness < 0) with any AI activity, or reported as an
//     agent by its source, is an ai_agent; otherwise service.
//   - When the evidence does not tell (humanness 0), AI builders and users
//     are classed as such with a low confidence, and the rest is unknown.
//
// The confidence is that of the humanness (from its magnitude) times that
// of the strongest deciding AI evidence, or of the absence of AI activity
// (growing with the event count).
func Decide(e *Evidence, events int64) Result {
	score := e.Humanness()
	var hc float64
	switch a := abs(score); {
	case a == 0:
		hc = 0.4
	case a == 1:
		hc = 0.55
	case a == 2:
		hc = 0.7
	case a == 3:
		hc = 0.8
	case a == 4:
		hc = 0.88
	case a == 5:
		hc = 0.92
	case a == 6:
		hc = 0.95
	default:
		hc = 0.97
	}
	builds := e.Has(AIBuild) || e.Has(AIKeys)
	uses := e.Has(AIInference) || e.Has(AISignIn) || e.Has(AIAct)
	aiConf := func(sigs ...Signal) float64 {
		best := 0.0
		for _, s := range sigs {
			if e.Has(s) && info[s].aiConf > best {
				best = info[s].aiConf
			}
		}
		return best
	}
	noAI := noAIConfidence(events)
	var r Result
	var deciding []Signal
	switch {
	case score > 0:
		r.Kind = schemas.KindHuman
		switch {
		case builds:
			r.Class, r.Confidence = schemas.ClassAIBuilder, hc*aiConf(AIBuild, AIKeys)
			deciding = []Signal{AIBuild, AIKeys, AIInference, AISignIn, AIAct}
		case uses:
			r.Class, r.Confidence = schemas.ClassAIUser, hc*aiConf(AIInference, AISignIn, AIAct)
			deciding = []Signal{AIInference, AISignIn, AIAct}
		default:
			r.Class, r.Confidence = schemas.ClassHuman, hc*noAI
		}
	case score < 0:
		r.Kind = schemas.KindService
		switch {
		case builds || uses:
			r.Class, r.Kind = schemas.ClassAIAgent, schemas.KindAgent
			r.Confidence = hc * aiConf(AIInference, AISignIn, AIAct, AIBuild, AIKeys)
			deciding = []Signal{AIInference, AIAct, AISignIn, AIBuild, AIKeys}
		case e.Has(SourceAgent):
			r.Class, r.Kind, r.Confidence = schemas.ClassAIAgent, schemas.KindAgent, hc*0.75
		default:
			r.Class, r.Confidence = schemas.ClassService, hc*noAI
		}
	default:
		r.Kind = schemas.KindUnknown
		switch {
		case builds:
			r.Class, r.Confidence = schemas.ClassAIBuilder, hc*aiConf(AIBuild, AIKeys)
			deciding = []Signal{AIBuild, AIKeys, AIInference, AISignIn, AIAct}
		case uses:
			r.Class, r.Confidence = schemas.ClassAIUser, hc*aiConf(AIInference, AISignIn, AIAct)
			deciding = []Signal{AIInference, AISignIn, AIAct}
		default:
			r.Class, r.Confidence = schemas.ClassUnknown, hc*noAI
		}
	}
	r.Confidence = math.Round(r.Confidence*100) / 100

	// The evidence: deciding AI facts, administration, a shared
	// credential, then the humanness facts that agree with the decision,
	// strongest first, then the absence of AI activity.
	ev := make([]string, 0, len(e.facts)+2)
	for _, s := range deciding {
		if f, ok := e.fact(s); ok {
			ev = append(ev, sentence(s, f.Detail))
		}
	}
	for _, s := range []Signal{AIAdmin, SharedCredential} {
		if f, ok := e.fact(s); ok {
			ev = append(ev, sentence(s, f.Detail))
		}
	}
	human := make([]Fact, 0, len(e.facts))
	for _, f := range e.facts {
		w := info[f.Signal].weight
		if w != 0 && (score == 0 || (w > 0) == (score > 0)) {
			human = append(human, f)
		}
	}
	slices.SortStableFunc(human, func(a, b Fact) int { return abs(info[b.Signal].weight) - abs(info[a.Signal].weight) })
	for _, f := range human {
		ev = append(ev, sentence(f.Signal, f.Detail))
	}
	if score == 0 {
		ev = append(ev, "not known whether a person or a service")
	}
	if deciding == nil && r.Class != schemas.ClassAIAgent {
		if b := noAIBuckets[Bucket(events)]; b <= 1 {
			ev = append(ev, "no AI activity seen yet")
		} else {
			ev = append(ev, fmt.Sprintf("no AI activity in %d+ events", b))
		}
	}
	if len(ev) > schemas.MaxIdentityList {
		ev = ev[:schemas.MaxIdentityList]
	}
	r.Evidence = ev
	return r
}

// sentence is the evidence sentence of a fact: its signal's text with the
// detail in place of the verb (strings.Replace would allocate twice).
func sentence(s Signal, detail string) string {
	before, after, _ := strings.Cut(info[s].text, "%s")
	return before + detail + after
}

func (e *Evidence) fact(s Signal) (Fact, bool) {
	if !e.Has(s) {
		return Fact{}, false
	}
	for _, f := range e.facts {
		if f.Signal == s {
			return f, true
		}
	}
	return Fact{}, false
}

// noAIConfidence is the confidence that an identity does no AI after
// events events.
func noAIConfidence(events int64) float64 {
	switch Bucket(events) {
	case 0:
		return 0.6
	case 1:
		return 0.75
	case 2:
		return 0.85
	}
	return 0.9
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
