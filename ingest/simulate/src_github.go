package simulate

import (
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// GitHub enterprise audit log entries, as audit log streaming delivers
// them.

type githubEntry struct {
	Timestamp              int64      `json:"@timestamp"`
	DocumentID             string     `json:"_document_id"`
	Action                 string     `json:"action"`
	Actor                  string     `json:"actor"`
	ActorID                int        `json:"actor_id"`
	ActorIsBot             bool       `json:"actor_is_bot,omitempty"`
	ActorIP                string     `json:"actor_ip,omitempty"`
	ActorLocation          *ghCountry `json:"actor_location,omitempty"`
	Business               string     `json:"business"`
	BusinessID             int        `json:"business_id"`
	Org                    string     `json:"org"`
	OrgID                  int        `json:"org_id"`
	Repository             string     `json:"repository,omitempty"`
	RepositoryPublic       *bool      `json:"repository_public,omitempty"`
	TransportProtocolName  string     `json:"transport_protocol_name,omitempty"`
	ProgrammaticAccessType string     `json:"programmatic_access_type,omitempty"`
	HashedToken            string     `json:"hashed_token,omitempty"`
	TokenID                int64      `json:"token_id,omitempty"`
	ExternalIdentityNameID string     `json:"external_identity_nameid,omitempty"`
	OperationType          string     `json:"operation_type"`
	UserAgent              string     `json:"user_agent,omitempty"`
	CreatedAt              int64      `json:"created_at"`
}

type ghCountry struct {
	CountryCode string `json:"country_code"`
}

// githubRepos are the repositories of the organizations.
var githubRepos = []string{"model-training", "feature-store", "inference-gateway", "eval-harness", "prompt-library", "data-pipelines", "web-app", "infra"}

// githubGit is a person cloning or pushing a repository of org.
func (g *engine) githubGit(r rng, t time.Time, p *person, org, action string) Record {
	private := false
	op := "access"
	if action == "git.push" {
		op = "modify"
	}
	e := githubEntry{
		Timestamp:              t.UnixMilli(),
		DocumentID:             r.chars(base62, 22),
		Action:                 action,
		Actor:                  p.github,
		ActorID:                githubActorID(g.cfg.Seed, p.github),
		ActorIP:                p.officeIP,
		ActorLocation:          &ghCountry{CountryCode: countryCode(p.rhythm.zone)},
		Business:               g.cfg.Tenants.GitHubEnterprise,
		BusinessID:             4471,
		Org:                    org,
		OrgID:                  githubActorID(g.cfg.Seed, "org:"+org),
		Repository:             org + "/" + pick(r, githubRepos),
		RepositoryPublic:       &private,
		TransportProtocolName:  "ssh",
		ExternalIdentityNameID: p.email,
		OperationType:          op,
		UserAgent:              "git/2.45." + itoa(r.between(0, 2)),
		CreatedAt:              t.UnixMilli(),
	}
	return g.record(schemas.ProductGitHub, t, t, e.DocumentID, p.githubIdentity(&g.cfg.Tenants), schemas.CategoryDataAccess, e)
}

// githubBot is a release bot cloning or pushing with an App token.
func (g *engine) githubBot(r rng, t time.Time, s *service, action string) Record {
	private := false
	op := "access"
	if action == "git.push" {
		op = "modify"
	}
	e := githubEntry{
		Timestamp:              t.UnixMilli(),
		DocumentID:             r.chars(base62, 22),
		Action:                 action,
		Actor:                  s.name,
		ActorID:                s.ghID,
		ActorIsBot:             true,
		ActorIP:                s.ip,
		Business:               g.cfg.Tenants.GitHubEnterprise,
		BusinessID:             4471,
		Org:                    s.org,
		OrgID:                  githubActorID(g.cfg.Seed, "org:"+s.org),
		Repository:             s.org + "/" + pick(r, githubRepos),
		RepositoryPublic:       &private,
		TransportProtocolName:  "http",
		ProgrammaticAccessType: "GitHub App server-to-server token",
		HashedToken:            r.chars(base62, 43) + "=",
		TokenID:                int64(1000000000 + r.IntN(900000000)),
		OperationType:          op,
		UserAgent:              "git/2.43.0",
		CreatedAt:              t.UnixMilli(),
	}
	return g.record(schemas.ProductGitHub, t, t, e.DocumentID, s.identity, schemas.CategoryDataAccess, e)
}

// githubActorID is a stable numeric id of a login.
func githubActorID(seed int64, login string) int {
	h := uint64(1469598103934665603)
	for i := range len(login) {
		h ^= uint64(login[i])
		h *= 1099511628211
	}
	return 1000000 + newRNG(seed, h).IntN(90000000)
}
