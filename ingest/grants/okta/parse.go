// Package okta reads Okta application assignments: the AppUser lists of
// `GET /api/v1/apps/{appId}/users`, one per application (or several
// concatenated in a JSON list of lists). Each assignment grants its user
// app:<appId>, the permission an SSO sign-in to the app uses.
//
// Users become the Okta normalizer's identity ids, okta:<org>:<user id>;
// the org is WithOrg's, else the host of the assignment's links.
package okta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

// Format is the name of the input shape Parse reads.
const Format = "okta-app-users"

type appUser struct {
	ID          string `json:"id"`
	Scope       string `json:"scope"`
	Status      string `json:"status"`
	Credentials struct {
		UserName string `json:"userName"`
	} `json:"credentials"`
	Links struct {
		App  link `json:"app"`
		User link `json:"user"`
	} `json:"_links"`
}

type link struct {
	Href string `json:"href"`
}

// Detect reports whether data looks like an Okta AppUser list.
func Detect(data []byte) bool {
	head := data[:min(len(data), 8192)]
	return bytes.Contains(head, []byte(`"_links"`)) && bytes.Contains(head, []byte(`/api/v1/apps/`)) &&
		bytes.Contains(head, []byte(`"scope"`))
}

// Parser reads AppUser lists.
type Parser struct{ org string }

// NewParser returns a Parser; org is the Okta org domain (acme.okta.com)
// of the identity ids, "" to take it from the links.
func NewParser(org string) *Parser { return &Parser{org: org} }

// Parse reads the assignments in data, read from file. It fails when data
// is not a JSON list; a bad assignment is recorded in Problems and skipped.
func (p *Parser) Parse(file string, data []byte) (*snapshot.Snapshot, error) {
	var lists []json.RawMessage
	if err := json.Unmarshal(data, &lists); err != nil {
		return nil, fmt.Errorf("parse %s as okta application assignments: %w", file, err)
	}
	s := &snapshot.Snapshot{File: file, Provider: snapshot.ProviderOkta, Format: Format}
	for i, raw := range lists {
		if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
			var inner []json.RawMessage
			if err := json.Unmarshal(t, &inner); err != nil {
				s.Problemf(snapshot.JSONPath("$", i), "not a list of assignments; skipped")
				continue
			}
			for j, r := range inner {
				p.assignment(s, r, snapshot.JSONPath(snapshot.JSONPath("$", i), j))
			}
			continue
		}
		p.assignment(s, raw, snapshot.JSONPath("$", i))
	}
	s.Dedup()
	return s, nil
}

func (p *Parser) assignment(s *snapshot.Snapshot, raw json.RawMessage, where string) {
	var a appUser
	if err := json.Unmarshal(raw, &a); err != nil {
		s.Problemf(where, "not an application assignment: %s; skipped", strings.TrimPrefix(err.Error(), "json: "))
		return
	}
	app, host := lastSegment(a.Links.App.Href, "apps")
	if a.ID == "" || app == "" {
		s.Problemf(where, "assignment without a user id or an _links.app.href naming the app; skipped")
		return
	}
	switch strings.ToUpper(a.Status) {
	case "INACTIVE", "DEPROVISIONED":
		return // no longer grants access
	}
	org := p.org
	if org == "" {
		org = host
	}
	if org == "" {
		s.Problemf(where, "no Okta org: the links name no host and none was configured; skipped")
		return
	}
	s.Scope = "okta:" + org
	via := "assignment/user"
	if strings.EqualFold(a.Scope, "GROUP") {
		via = "assignment/group"
	}
	s.Grants = append(s.Grants, snapshot.Grant{
		IdentityID: "okta:" + org + ":" + a.ID, Permission: "app:" + app, Resource: app,
		GrantedVia: via, Policy: "app/" + app, AccessLevel: "Read",
	})
}

// lastSegment returns the path segment after /<marker>/ in href, and the
// host.
func lastSegment(href, marker string) (string, string) {
	u, err := url.Parse(href)
	if err != nil {
		return "", ""
	}
	dir, last := path.Split(strings.TrimSuffix(u.Path, "/"))
	if path.Base(strings.TrimSuffix(dir, "/")) != marker {
		return "", u.Host
	}
	return last, u.Host
}
