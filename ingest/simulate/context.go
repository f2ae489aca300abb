package simulate

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aitdr/aitdr/schemas"
)

// Context file names, written by WriteContext.
const (
	// FileDirectoryCSV and FileDirectoryJSON are the directory export:
	// people with e-mail, team, manager, time zone, working hours and
	// linked accounts.
	FileDirectoryCSV  = "directory.csv"
	FileDirectoryJSON = "directory.json"
	// FileWorkloads is the CMDB's register of workload identities: each
	// agent credential with the agent it was issued to, its owner and
	// team, in a form the enrich stage reads as a directory file.
	FileWorkloads = "workloads.csv"
	// FileEnvironments maps accounts, tenants, orgs, projects and cluster
	// namespaces to their environment (YAML).
	FileEnvironments = "environments.yaml"
	// FileDataCatalog classifies the data the population reaches.
	FileDataCatalog = "data-catalog.csv"
	// FileAssumedInventory is what the organization believes it has:
	// licences, registered agents and known service accounts. It misses
	// part of what the records show, on purpose.
	FileAssumedInventory = "assumed-inventory.csv"
	// FilePopulation is the ground truth of the population, for the
	// scorecard; the pipeline must not read it.
	FilePopulation = "population.json"
)

// DirectoryPerson is one person of the directory export.
type DirectoryPerson struct {
	// PersonID is the directory's id of the person.
	PersonID string `json:"person_id"`
	// Email is the corporate e-mail address.
	Email string `json:"email"`
	// DisplayName is the person's name.
	DisplayName string `json:"display_name"`
	// Team is the team the person belongs to.
	Team string `json:"team"`
	// Title is the job title.
	Title string `json:"title"`
	// ManagerEmail is the e-mail of the person's manager; empty for the
	// top of the organization.
	ManagerEmail string `json:"manager_email,omitempty"`
	// TimeZone is where the person works.
	TimeZone string `json:"time_zone"`
	// WorkingHours are the working hours the person set in the
	// directory (as calendar working hours are), absent for those who
	// set none.
	WorkingHours *WorkingHours `json:"working_hours,omitempty"`
	// Accounts are the aitdr identity ids of the person's corporate
	// accounts, linked by the directory.
	Accounts []string `json:"accounts"`
}

// WorkingHours are a person's working days and hours, local time.
type WorkingHours struct {
	// Days are the working days, "Mon-Fri".
	Days string `json:"days"`
	// Start and End are the local times the working day starts and ends,
	// "08:30".
	Start string `json:"start"`
	End   string `json:"end"`
}

// directoryHours are the working hours a person sets in the directory:
// their working day rounded out to half hours, Monday to Friday. One
// person in five sets none.
func directoryHours(p *person) *WorkingHours {
	if p.index%5 == 4 {
		return nil
	}
	start := math.Floor(p.rhythm.start*2) / 2
	end := math.Ceil((p.rhythm.start+p.rhythm.length)*2) / 2
	clock := func(h float64) string {
		m := int(math.Round(h * 60))
		return fmt.Sprintf("%02d:%02d", m/60, m%60)
	}
	return &WorkingHours{Days: "Mon-Fri", Start: clock(start), End: clock(min(end, 24))}
}

// Workload is one workload identity of the CMDB's register.
type Workload struct {
	// IdentityID is the aitdr identity id of the credential.
	IdentityID string `json:"identity_id"`
	// Name is the workload the credential was issued to.
	Name string `json:"name"`
	// Kind is what the workload is: ai_agent.
	Kind string `json:"kind"`
	// OwnerEmail is the e-mail of the person responsible.
	OwnerEmail string `json:"owner_email"`
	// Team is the owning team.
	Team string `json:"team"`
	// Environment is prod or dev.
	Environment schemas.Environment `json:"environment"`
}

// Workloads returns the CMDB's register of workload identities: one row
// per agent credential, naming the agent it was issued to (the first of
// those that share it), its owner and its team. It lists every agent
// credential, registered as an AI agent or not: the register is where
// credentials are requested, the assumed inventory what the AI team
// believes runs.
func (s *Simulator) Workloads() []Workload {
	var out []Workload
	for _, c := range s.pop.creds {
		a := c.shared[0]
		w := Workload{IdentityID: c.identity, Name: a.name, Kind: string(schemas.ClassAIAgent), Team: a.team, Environment: a.env}
		if a.owner != nil {
			w.OwnerEmail = a.owner.email
		}
		out = append(out, w)
	}
	return out
}

// Directory is the directory export in JSON.
type Directory struct {
	// People are everyone in the organization.
	People []DirectoryPerson `json:"people"`
}

// Directory returns the directory export of the population: every person
// with their corporate accounts. Personal accounts are not in it, as no
// company directory knows them.
func (s *Simulator) Directory() Directory {
	t := &s.cfg.Tenants
	var d Directory
	for _, p := range s.pop.people {
		dp := DirectoryPerson{
			PersonID: p.id, Email: p.email, DisplayName: p.display, Team: p.team, Title: p.title,
			TimeZone: p.rhythm.zone, WorkingHours: directoryHours(p), Accounts: p.accounts(t),
		}
		if p.manager != nil && p.manager != p {
			dp.ManagerEmail = p.manager.email
		}
		d.People = append(d.People, dp)
	}
	return d
}

// Truth is the ground truth of the population: who exists, what they
// are, and what the assumed inventory misses.
type Truth struct {
	// Start and End are the simulated time span.
	Start string `json:"start"`
	End   string `json:"end"`
	// Seed is the simulation's seed.
	Seed int64 `json:"seed"`
	// SourcesConfig are the ingest source settings the identity ids
	// assume (see Simulator.SourcesConfig).
	SourcesConfig map[string]string `json:"sources_config"`
	// SanctionedApps and ShadowServices are the AI applications the
	// organization sanctions and the AI services used without sanction.
	SanctionedApps []string `json:"sanctioned_apps"`
	ShadowServices []string `json:"shadow_services"`
	// SanctionedServices are the AI service catalog ids the organization
	// sanctions (SanctionedServices).
	SanctionedServices []string `json:"sanctioned_services"`
	// People, Agents and Services are every simulated principal.
	People   []TruthPerson  `json:"people"`
	Agents   []TruthAgent   `json:"agents"`
	Services []TruthService `json:"services"`
}

// TruthPerson is one simulated person.
type TruthPerson struct {
	// PersonID is the person's directory id.
	PersonID string `json:"person_id"`
	// Email is the corporate e-mail address.
	Email string `json:"email"`
	// Class is ai_user, ai_builder or human.
	Class schemas.IdentityClass `json:"class"`
	// Team is the person's team.
	Team string `json:"team"`
	// TimeZone is where the person works.
	TimeZone string `json:"time_zone"`
	// Registered is whether the person's licence is on the assumed
	// inventory.
	Registered bool `json:"registered"`
	// Identities are the ids of the person's corporate accounts.
	Identities []string `json:"identities"`
	// PersonalIdentities are the ids the personal_account_ai scenario
	// gives the person's personal use of AI, when they have a personal
	// account.
	PersonalIdentities []string `json:"personal_identities,omitempty"`
	// PersonalEmail is the person's personal mailbox, when they have one.
	PersonalEmail string `json:"personal_email,omitempty"`
	// ShadowServices are the unsanctioned AI services the person uses.
	ShadowServices []string `json:"shadow_services,omitempty"`
}

// TruthAgent is one simulated agent workload.
type TruthAgent struct {
	// Name is the workload's name.
	Name string `json:"name"`
	// Archetype is what the agent is (see docs/simulate.md).
	Archetype string `json:"archetype"`
	// Environment is prod or dev.
	Environment schemas.Environment `json:"environment"`
	// OwnerEmail is the e-mail of the builder who owns the agent.
	OwnerEmail string `json:"owner_email,omitempty"`
	// Team is the owning team.
	Team string `json:"team"`
	// IdentityID is the identity of the agent's credential; agents that
	// share a credential share it.
	IdentityID string `json:"identity_id"`
	// SharedWith names the other agents on the same credential.
	SharedWith []string `json:"shared_with,omitempty"`
	// Registered is whether the agent is on the assumed inventory.
	Registered bool `json:"registered"`
}

// TruthService is one simulated workload without AI.
type TruthService struct {
	// Name is the workload's name.
	Name string `json:"name"`
	// Kind is what the workload does (ci_deploy, backup, okta_client, ...).
	Kind string `json:"kind"`
	// IdentityID is the identity its records carry.
	IdentityID string `json:"identity_id"`
}

// Truth returns the ground truth of the population.
func (s *Simulator) Truth() Truth {
	t := &s.cfg.Tenants
	sc := s.SourcesConfig()
	tr := Truth{
		Start: s.start.Format("2006-01-02T15:04:05Z07:00"), End: s.end.Format("2006-01-02T15:04:05Z07:00"), Seed: s.cfg.Seed,
		SourcesConfig: map[string]string{
			"okta_org": sc.OktaOrg, "entra_tenant": sc.EntraTenant, "gcp_org": sc.GCPOrg,
			"ai_gateway": sc.AIGateway, "openai_org": sc.OpenAIOrg, "anthropic_org": sc.AnthropicOrg,
		},
		ShadowServices:     ShadowServices(),
		SanctionedServices: SanctionedServices(),
	}
	for _, a := range sanctionedApps {
		tr.SanctionedApps = append(tr.SanctionedApps, a.name)
	}
	for _, p := range s.pop.people {
		tp := TruthPerson{PersonID: p.id, Email: p.email, Class: personClass(p.role), Team: p.team, TimeZone: p.rhythm.zone,
			Registered: p.registered && p.role != roleHuman, Identities: p.accounts(t), PersonalEmail: p.personalEmail}
		if p.personalEmail != "" {
			tp.PersonalIdentities = []string{p.personalGatewayIdentity(t), p.consumerIdentity()}
		}
		for _, a := range p.shadow {
			tp.ShadowServices = append(tp.ShadowServices, a.service)
		}
		tr.People = append(tr.People, tp)
	}
	for _, a := range s.pop.agents {
		ta := TruthAgent{Name: a.name, Archetype: a.arch.String(), Environment: a.env, Team: a.team, IdentityID: a.cred.identity, Registered: a.registered}
		if a.owner != nil {
			ta.OwnerEmail = a.owner.email
		}
		for _, o := range a.cred.shared {
			if o != a {
				ta.SharedWith = append(ta.SharedWith, o.name)
			}
		}
		tr.Agents = append(tr.Agents, ta)
	}
	for _, sv := range s.pop.services {
		tr.Services = append(tr.Services, TruthService{Name: sv.name, Kind: serviceKindNames[sv.kind], IdentityID: sv.identity})
	}
	return tr
}

func personClass(r role) schemas.IdentityClass {
	switch r {
	case roleBuilder:
		return schemas.ClassAIBuilder
	case roleUser:
		return schemas.ClassAIUser
	}
	return schemas.ClassHuman
}

// WriteContext writes the context files of the population into dir,
// which it creates: the directory export (FileDirectoryCSV and
// FileDirectoryJSON), the CMDB's workload register (FileWorkloads), the
// environment map (FileEnvironments), the data catalog (FileDataCatalog),
// the assumed inventory (FileAssumedInventory) and the ground truth
// (FilePopulation). docs/simulate.md describes the
// formats. The files depend on the configuration and seed only.
func (s *Simulator) WriteContext(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write context: %w", err)
	}
	files := []struct {
		name string
		make func() ([]byte, error)
	}{
		{FileDirectoryCSV, s.directoryCSV},
		{FileDirectoryJSON, func() ([]byte, error) { return marshalIndent(s.Directory()) }},
		{FileWorkloads, s.workloadsCSV},
		{FileEnvironments, s.environmentsYAML},
		{FileDataCatalog, s.dataCatalogCSV},
		{FileAssumedInventory, s.assumedInventoryCSV},
		{FilePopulation, func() ([]byte, error) { return marshalIndent(s.Truth()) }},
	}
	for _, f := range files {
		b, err := f.make()
		if err != nil {
			return fmt.Errorf("write context %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), b, 0o644); err != nil {
			return fmt.Errorf("write context: %w", err)
		}
	}
	return nil
}

func marshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeCSV(comment string, header []string, rows [][]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(comment)
	w := csv.NewWriter(&buf)
	if err := w.Write(header); err != nil {
		return nil, err
	}
	if err := w.WriteAll(rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Columns of the CSV context files.
var (
	DirectoryColumns = []string{"person_id", "email", "display_name", "team", "title", "manager_email", "time_zone",
		"working_days", "working_hours_start", "working_hours_end", "accounts"}
	WorkloadColumns         = []string{"identity_id", "name", "kind", "owner_email", "team", "environment"}
	DataCatalogColumns      = []string{"resource", "sensitivity", "type"}
	AssumedInventoryColumns = []string{"identity_id", "email", "name", "class", "owner_email", "source"}
)

func (s *Simulator) directoryCSV() ([]byte, error) {
	var rows [][]string
	for _, p := range s.Directory().People {
		var wh WorkingHours
		if p.WorkingHours != nil {
			wh = *p.WorkingHours
		}
		rows = append(rows, []string{p.PersonID, p.Email, p.DisplayName, p.Team, p.Title, p.ManagerEmail, p.TimeZone,
			wh.Days, wh.Start, wh.End, strings.Join(p.Accounts, ";")})
	}
	return writeCSV("", DirectoryColumns, rows)
}

func (s *Simulator) workloadsCSV() ([]byte, error) {
	var rows [][]string
	for _, w := range s.Workloads() {
		rows = append(rows, []string{w.IdentityID, w.Name, w.Kind, w.OwnerEmail, w.Team, string(w.Environment)})
	}
	// No comment line: directory readers take the first line for the
	// header.
	return writeCSV("", WorkloadColumns, rows)
}

func (s *Simulator) environmentsYAML() ([]byte, error) {
	t := &s.cfg.Tenants
	var b bytes.Buffer
	b.WriteString("# Environments of the simulated organization, written by aitdr simulate context.\n")
	section := func(name string, entries ...[]Tenant) {
		b.WriteString(name + ":\n")
		for _, list := range entries {
			for _, x := range list {
				fmt.Fprintf(&b, "  %s: %s # %s\n", strconv.Quote(x.ID), x.Environment, oneLine(x.Name))
			}
		}
	}
	section("accounts", t.AWSAccounts, t.EntraTenants, t.GitHubOrgs)
	section("projects", t.GCPProjects, t.OpenAIProjects, t.AnthropicWorkspaces)
	b.WriteString("namespaces:\n")
	for _, c := range t.K8sClusters {
		fmt.Fprintf(&b, "  %s: %s # %s\n", strconv.Quote(c.ID+"/*"), c.Environment, oneLine(c.Name))
	}
	return b.Bytes(), nil
}

// oneLine keeps a name on one line of a YAML comment.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (s *Simulator) dataCatalogCSV() ([]byte, error) {
	p := s.pop
	prodProject := p.gcpProject(schemas.EnvProduction, 0).ID
	devProject := p.gcpProject(schemas.EnvDevelopment, 0).ID
	s3 := func(bucket string) string { return "arn:aws:s3:::" + bucket }
	gcs := func(bucket string) string { return "projects/_/buckets/" + bucket }
	rows := [][]string{
		{s3(p.exportsBucket()), string(schemas.SensitivityRestricted), "s3_bucket"},
		{s3(p.weightsBucket()), string(schemas.SensitivityRestricted), "s3_bucket"},
		{s3(p.backupBucket()), string(schemas.SensitivityRestricted), "s3_bucket"},
		{s3(p.knowledgeBucket(schemas.EnvProduction)), string(schemas.SensitivityConfidential), "s3_bucket"},
		{s3(p.datasetsBucket()), string(schemas.SensitivityConfidential), "s3_bucket"},
		{s3(p.knowledgeBucket(schemas.EnvDevelopment)), string(schemas.SensitivityInternal), "s3_bucket"},
		{s3(p.artifactsBucket()), string(schemas.SensitivityInternal), "s3_bucket"},
		{s3(p.prefix + "-ci-artifacts"), string(schemas.SensitivityInternal), "s3_bucket"},
		{gcs(p.gcsDatasets()), string(schemas.SensitivityConfidential), "gcs_bucket"},
		{gcs(p.gcsModels(prodProject)), string(schemas.SensitivityRestricted), "gcs_bucket"},
		{gcs(devProject + "-datasets"), string(schemas.SensitivityConfidential), "gcs_bucket"},
		{gcs(prodProject + "-backups"), string(schemas.SensitivityRestricted), "gcs_bucket"},
		{"*", string(schemas.SensitivityRestricted), "secrets"},
		{"*", string(schemas.SensitivityInternal), "configmaps"},
	}
	return writeCSV("# Data classification of the simulated organization, written by aitdr simulate context.\n", DataCatalogColumns, rows)
}

// Sources of the assumed inventory's rows.
const (
	sourceLicence  = "licence"
	sourceRegistry = "agent_registry"
	sourceService  = "service_account"
	sourceAccess   = "ml_platform"
)

func (s *Simulator) assumedInventoryCSV() ([]byte, error) {
	t := &s.cfg.Tenants
	var rows [][]string
	for _, p := range s.pop.people {
		if !p.registered || p.role == roleHuman {
			continue
		}
		rows = append(rows, []string{p.idpIdentity(t), p.email, p.display, string(personClass(p.role)), p.email, sourceLicence})
		if p.role == roleBuilder {
			rows = append(rows, []string{p.awsIdentity(s.pop.awsAccount(schemas.EnvDevelopment, 0).ID), p.email, p.login, string(schemas.ClassAIBuilder), p.email, sourceAccess})
			rows = append(rows, []string{p.gcpIdentity(t), p.email, p.display, string(schemas.ClassAIBuilder), p.email, sourceAccess})
		}
	}
	seen := map[string]bool{}
	for _, a := range s.pop.agents {
		if !a.registered || seen[a.cred.identity] {
			continue
		}
		seen[a.cred.identity] = true
		owner := ""
		if a.owner != nil {
			owner = a.owner.email
		}
		rows = append(rows, []string{a.cred.identity, "", a.name, string(schemas.ClassAIAgent), owner, sourceRegistry})
	}
	for _, sv := range s.pop.services {
		if sv.index%3 == 2 {
			continue // the register is never complete
		}
		rows = append(rows, []string{sv.identity, "", sv.name, string(schemas.ClassService), "", sourceService})
	}
	// Entries nobody will see: decommissioned agents and people who left.
	prod := s.pop.awsAccount(schemas.EnvProduction, 0).ID
	rows = append(rows,
		[]string{"aws:" + prod + ":role/legacy-summarizer-agent", "", "legacy-summarizer", string(schemas.ClassAIAgent), "", sourceRegistry},
		[]string{"litellm:" + t.AIGateway + ":key/" + stableHex(s.cfg.Seed, "retired-key", 64), "", "pilot-agent", string(schemas.ClassAIAgent), "", sourceRegistry},
		[]string{"okta:" + t.OktaOrg + ":00u" + stableID(s.cfg.Seed, "leaver", 17), "former.employee@" + t.Domain, "Former Employee", string(schemas.ClassAIUser), "", sourceLicence},
	)
	slices.SortStableFunc(rows, func(a, b []string) int { return strings.Compare(a[5], b[5]) })
	return writeCSV("# What the organization believes it has: AI licences, registered agents, known service accounts.\n", AssumedInventoryColumns, rows)
}
