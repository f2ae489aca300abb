// Package entra reads Microsoft Entra application assignments: Microsoft
// Graph's appRoleAssignment lists (`GET /users/{id}/appRoleAssignments`,
// `GET /servicePrincipals/{id}/appRoleAssignedTo`, {"value": [...]}), with
// the service principals they name (`GET /servicePrincipals`, also
// {"value": [...]}) to turn each assignment's resource into the
// application id that sign-in logs name. Each assignment grants its user
// or service principal app:<appId>.
//
// Principals become the Entra normalizer's identity ids,
// entra:<tenant>:<object id>; the tenant is not in Graph's lists and comes
// from WithTenant (the entra_tenant setting). Group assignments are
// counted (Unattributed), not stored.
package entra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

// Format is the name of the input shape Parse reads.
const Format = "entra-app-role-assignments"

// ErrNoTenant is returned by Parse when no tenant was given.
var ErrNoTenant = errors.New("the Entra tenant is not in Graph's lists: set ingest.sources.entra_tenant (or --entra-tenant)")

type page struct {
	Value json.RawMessage `json:"value"`
}

type assignment struct {
	ID                  string `json:"id"`
	AppRoleID           string `json:"appRoleId"`
	PrincipalID         string `json:"principalId"`
	PrincipalType       string `json:"principalType"`
	PrincipalName       string `json:"principalDisplayName"`
	ResourceID          string `json:"resourceId"`
	ResourceDisplayName string `json:"resourceDisplayName"`
}

type servicePrincipal struct {
	ID          string `json:"id"`
	AppID       string `json:"appId"`
	DisplayName string `json:"displayName"`
}

// Detect reports whether data looks like a Graph list of app role
// assignments or of service principals.
func Detect(data []byte) bool {
	head := data[:min(len(data), 8192)]
	return bytes.Contains(head, []byte(`"value"`)) &&
		(bytes.Contains(head, []byte(`"appRoleId"`)) || bytes.Contains(head, []byte(`"servicePrincipalType"`)) ||
			bytes.Contains(head, []byte(`#servicePrincipals`)))
}

// ServicePrincipals maps service principal object ids to application ids.
type ServicePrincipals map[string]string

// ReadServicePrincipals adds the service principals of a Graph list in
// data to sps and reports whether data was such a list.
func ReadServicePrincipals(data []byte, sps ServicePrincipals) bool {
	var p page
	if json.Unmarshal(data, &p) != nil {
		return false
	}
	var list []servicePrincipal
	if json.Unmarshal(p.Value, &list) != nil {
		return false
	}
	found := false
	for _, sp := range list {
		if sp.ID != "" && sp.AppID != "" {
			sps[sp.ID] = sp.AppID
			found = true
		}
	}
	return found
}

// Parser reads assignment lists.
type Parser struct {
	tenant string
	sps    ServicePrincipals
}

// NewParser returns a Parser for tenant, resolving assignments' resources
// through sps (which may be nil).
func NewParser(tenant string, sps ServicePrincipals) *Parser {
	return &Parser{tenant: tenant, sps: sps}
}

// Parse reads the assignments in data, read from file. A list of service
// principals gives an empty snapshot (ReadServicePrincipals reads it). It
// fails when data is not a Graph list or no tenant was given; a bad
// assignment is recorded in Problems and skipped.
func (p *Parser) Parse(file string, data []byte) (*snapshot.Snapshot, error) {
	var pg page
	if err := json.Unmarshal(data, &pg); err != nil || pg.Value == nil {
		if err == nil {
			err = errors.New(`no "value" list`)
		}
		return nil, fmt.Errorf("parse %s as a microsoft graph list: %w", file, err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(pg.Value, &items); err != nil {
		return nil, fmt.Errorf("parse %s as a microsoft graph list: value: %w", file, err)
	}
	s := &snapshot.Snapshot{File: file, Provider: snapshot.ProviderEntra, Format: Format}
	if !bytes.Contains(pg.Value, []byte(`"appRoleId"`)) {
		return s, nil // service principals, or an empty list
	}
	if p.tenant == "" {
		return nil, fmt.Errorf("parse %s: %w", file, ErrNoTenant)
	}
	s.Scope = "entra:" + p.tenant
	unresolved := map[string]bool{}
	for i, raw := range items {
		where := snapshot.JSONPath("$.value", i)
		var a assignment
		if err := json.Unmarshal(raw, &a); err != nil {
			s.Problemf(where, "not an app role assignment: %s; skipped", strings.TrimPrefix(err.Error(), "json: "))
			continue
		}
		if a.PrincipalID == "" || a.ResourceID == "" {
			s.Problemf(where, "assignment without a principalId or resourceId; skipped")
			continue
		}
		switch a.PrincipalType {
		case "Group":
			s.Unattributed++
			continue
		case "User", "ServicePrincipal":
		default:
			s.Problemf(where+".principalType", "%q is not User, Group or ServicePrincipal; skipped", a.PrincipalType)
			continue
		}
		app, ok := p.sps[a.ResourceID]
		if !ok {
			app = a.ResourceID
			if !unresolved[a.ResourceID] {
				unresolved[a.ResourceID] = true
				s.Problemf(where+".resourceId", "service principal %s (%s) is in no servicePrincipals list of the import: "+
					"the grant names its object id, which sign-ins do not", a.ResourceID, a.ResourceDisplayName)
			}
		}
		s.Grants = append(s.Grants, snapshot.Grant{
			IdentityID: "entra:" + p.tenant + ":" + a.PrincipalID, Permission: "app:" + app, Resource: app,
			GrantedVia: "assignment/" + strings.ToLower(a.PrincipalType), Policy: "appRole/" + a.AppRoleID, AccessLevel: "Read",
		})
	}
	s.Dedup()
	return s, nil
}
