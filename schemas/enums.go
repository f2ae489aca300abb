package schemas

import "slices"

// Product names the source product an event came from, as
// "<vendor>.<log>" or a single word where the vendor has one audit log.
// Ingest adds a constant here with every new source.
type Product string

// Source products.
const (
	ProductAWSCloudTrail Product = "aws.cloudtrail"
	ProductOkta          Product = "okta"
	ProductEntra         Product = "entra"
	ProductGCPAudit      Product = "gcp.audit"
	ProductGitHub        Product = "github"
	ProductK8sAudit      Product = "k8s.audit"
	ProductOpenAI        Product = "openai"
	ProductAnthropic     Product = "anthropic"
	ProductAIGateway     Product = "ai_gateway"
)

var products = []Product{
	ProductAWSCloudTrail, ProductOkta, ProductEntra, ProductGCPAudit, ProductGitHub,
	ProductK8sAudit, ProductOpenAI, ProductAnthropic, ProductAIGateway,
}

// Products returns every known source product, in a fixed order.
func Products() []Product { return slices.Clone(products) }

// ProductPattern is the form of every product name: the built-in ones and
// those a deployment defines for its own sources (declarative mappings),
// such as "acme.audit".
const ProductPattern = `^[a-z0-9][a-z0-9._-]{0,63}$`

// Valid reports whether p is one of the Product constants or a custom
// product name of the ProductPattern form.
func (p Product) Valid() bool {
	if slices.Contains(products, p) {
		return true
	}
	if len(p) == 0 || len(p) > 64 || !isLowerAlnum(p[0]) {
		return false
	}
	for i := 1; i < len(p); i++ {
		if c := p[i]; !isLowerAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// IsBuiltin reports whether p is one of the Product constants, a source
// aitdr ships a normalizer for.
func (p Product) IsBuiltin() bool { return slices.Contains(products, p) }

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// AppendText appends p to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (p Product) AppendText(b []byte) ([]byte, error) { return append(b, p...), nil }

// IsZero reports whether p is empty, so that an unset Product is omitted from
// both encodings.
func (p Product) IsZero() bool { return p == "" }

// UnmarshalText sets p to the value of b; a known value is taken from the
// constants without allocating, an unknown one is kept as it is.
func (p *Product) UnmarshalText(b []byte) error { *p = intern(products, b); return nil }

// IdentityKind is what kind of principal acted, as far as the source tells:
// a person, a non-person service principal, or an autonomous agent.
type IdentityKind string

// Identity kinds.
const (
	KindHuman   IdentityKind = "human"
	KindService IdentityKind = "service"
	KindAgent   IdentityKind = "agent"
	KindUnknown IdentityKind = "unknown"
)

var identityKinds = []IdentityKind{KindHuman, KindService, KindAgent, KindUnknown}

// IdentityKinds returns every identity kind.
func IdentityKinds() []IdentityKind { return slices.Clone(identityKinds) }

// Valid reports whether k is one of the IdentityKind constants.
func (k IdentityKind) Valid() bool { return slices.Contains(identityKinds, k) }

// AppendText appends k to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (k IdentityKind) AppendText(b []byte) ([]byte, error) { return append(b, k...), nil }

// IsZero reports whether k is empty, so that an unset IdentityKind is omitted from
// both encodings.
func (k IdentityKind) IsZero() bool { return k == "" }

// UnmarshalText sets k to the value of b; a known value is taken from the
// constants without allocating, an unknown one is kept as it is.
func (k *IdentityKind) UnmarshalText(b []byte) error { *k = intern(identityKinds, b); return nil }

// AccountType tells a corporate account (managed by the customer's IdP or
// cloud organization) from a personal one (shadow AI: a private ChatGPT
// login, a personal GitHub token).
type AccountType string

// Account types.
const (
	AccountCorporate AccountType = "corporate"
	AccountPersonal  AccountType = "personal"
	AccountUnknown   AccountType = "unknown"
)

var accountTypes = []AccountType{AccountCorporate, AccountPersonal, AccountUnknown}

// AccountTypes returns every account type.
func AccountTypes() []AccountType { return slices.Clone(accountTypes) }

// Valid reports whether t is one of the AccountType constants.
func (t AccountType) Valid() bool { return slices.Contains(accountTypes, t) }

// AppendText appends t to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (t AccountType) AppendText(b []byte) ([]byte, error) { return append(b, t...), nil }

// IsZero reports whether t is empty, so that an unset AccountType is omitted from
// both encodings.
func (t AccountType) IsZero() bool { return t == "" }

// UnmarshalText sets t to the value of b; a known value is taken from the
// constants without allocating, an unknown one is kept as it is.
func (t *AccountType) UnmarshalText(b []byte) error { *t = intern(accountTypes, b); return nil }

// CredentialType is the kind of credential a session was established with.
type CredentialType string

// Credential types.
const (
	// CredentialPassword is a password typed by a person.
	CredentialPassword CredentialType = "password"
	// CredentialSSO is a federated login through an identity provider (SAML, OIDC).
	CredentialSSO CredentialType = "sso"
	// CredentialAccessKey is a long-lived cloud access key (AWS AKIA…).
	CredentialAccessKey CredentialType = "access_key"
	// CredentialSessionToken is a short-lived token from a role assumption or
	// a session service (AWS STS ASIA…, GCP short-lived tokens).
	CredentialSessionToken CredentialType = "session_token"
	// CredentialAPIKey is a static API key of an AI or SaaS platform.
	CredentialAPIKey CredentialType = "api_key"
	// CredentialOAuthToken is an OAuth access token granted to an application.
	CredentialOAuthToken CredentialType = "oauth_token"
	// CredentialPersonalAccessToken is a user-minted token (GitHub PAT).
	CredentialPersonalAccessToken CredentialType = "personal_access_token"
	// CredentialWorkloadIdentity is a federated workload identity (IRSA,
	// GKE workload identity, Entra workload ID, GitHub OIDC).
	CredentialWorkloadIdentity CredentialType = "workload_identity"
	// CredentialCertificate is a client certificate (mTLS, x509 kube users).
	CredentialCertificate CredentialType = "certificate"
	// CredentialUnknown is used when the source does not tell.
	CredentialUnknown CredentialType = "unknown"
)

var credentialTypes = []CredentialType{
	CredentialPassword, CredentialSSO, CredentialAccessKey, CredentialSessionToken,
	CredentialAPIKey, CredentialOAuthToken, CredentialPersonalAccessToken,
	CredentialWorkloadIdentity, CredentialCertificate, CredentialUnknown,
}

// CredentialTypes returns every credential type.
func CredentialTypes() []CredentialType { return slices.Clone(credentialTypes) }

// Valid reports whether c is one of the CredentialType constants.
func (c CredentialType) Valid() bool { return slices.Contains(credentialTypes, c) }

// AppendText appends c to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (c CredentialType) AppendText(b []byte) ([]byte, error) { return append(b, c...), nil }

// IsZero reports whether c is empty, so that an unset CredentialType is omitted from
// both encodings.
func (c CredentialType) IsZero() bool { return c == "" }

// UnmarshalText sets c to the value of b; a known value is taken from the
// constants without allocating, an unknown one is kept as it is.
func (c *CredentialType) UnmarshalText(b []byte) error { *c = intern(credentialTypes, b); return nil }

// Verb is the normalized operation of an action, whatever the source calls it.
type Verb string

// Verbs.
const (
	VerbCreate       Verb = "create"
	VerbRead         Verb = "read"
	VerbUpdate       Verb = "update"
	VerbDelete       Verb = "delete"
	VerbList         Verb = "list"
	VerbInvoke       Verb = "invoke"
	VerbAuthenticate Verb = "authenticate"
	VerbAssume       Verb = "assume"
	VerbGrant        Verb = "grant"
	VerbRevoke       Verb = "revoke"
	VerbEnable       Verb = "enable"
	VerbDisable      Verb = "disable"
	VerbExport       Verb = "export"
	VerbOther        Verb = "other"
)

var verbs = []Verb{
	VerbCreate, VerbRead, VerbUpdate, VerbDelete, VerbList, VerbInvoke, VerbAuthenticate,
	VerbAssume, VerbGrant, VerbRevoke, VerbEnable, VerbDisable, VerbExport, VerbOther,
}

// Verbs returns every verb.
func Verbs() []Verb { return slices.Clone(verbs) }

// Valid reports whether v is one of the Verb constants.
func (v Verb) Valid() bool { return slices.Contains(verbs, v) }

// AppendText appends v to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (v Verb) AppendText(b []byte) ([]byte, error) { return append(b, v...), nil }

// IsZero reports whether v is empty, so that an unset Verb is omitted from
// both encodings.
func (v Verb) IsZero() bool { return v == "" }

// UnmarshalText sets v to the value of b; a known value is taken from the
// constants without allocating, an unknown one is kept as it is.
func (v *Verb) UnmarshalText(b []byte) error { *v = intern(verbs, b); return nil }

// Category is the security-relevant class of an action; rules and baselines
// group actions by it.
type Category string

// Categories.
const (
	// CategoryAuthentication is a sign-in, a token exchange or a failed login.
	CategoryAuthentication Category = "authentication"
	// CategoryAuthorization is a permission check or a role assumption.
	CategoryAuthorization Category = "authorization"
	// CategoryIAMChange changes users, roles, keys, policies or group members.
	CategoryIAMChange Category = "iam_change"
	// CategoryDataAccess reads or writes business data (objects, tables, repos).
	CategoryDataAccess Category = "data_access"
	// CategoryModelInference runs a model: a prompt, a completion, an embedding.
	CategoryModelInference Category = "model_inference"
	// CategoryModelManagement changes models, weights, registries or endpoints.
	CategoryModelManagement Category = "model_management"
	// CategoryTrainingPipeline touches training jobs, datasets and pipelines.
	CategoryTrainingPipeline Category = "training_pipeline"
	// CategorySecretAccess reads or changes secrets and API keys.
	CategorySecretAccess Category = "secret_access"
	// CategoryAdmin is any other administrative change of a tenant or service.
	CategoryAdmin Category = "admin"
	// CategoryLoggingChange disables, deletes or alters audit logging.
	CategoryLoggingChange Category = "logging_change"
	// CategoryOther is used when no category fits.
	CategoryOther Category = "other"
)

var categories = []Category{
	CategoryAuthentication, CategoryAuthorization, CategoryIAMChange, CategoryDataAccess,
	CategoryModelInference, CategoryModelManagement, CategoryTrainingPipeline,
	CategorySecretAccess, CategoryAdmin, CategoryLoggingChange, CategoryOther,
}

// Categories returns every category.
func Categories() []Category { return slices.Clone(categories) }

// Valid reports whether c is one of the Category constants.
func (c Category) Valid() bool { return slices.Contains(categories, c) }

// AppendText appends c to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (c Category) AppendText(b []byte) ([]byte, error) { return append(b, c...), nil }

// IsZero reports whether c is empty, so that an unset Category is omitted from
// both encodings.
func (c Category) IsZero() bool { return c == "" }

// UnmarshalText sets c to the value of b; a known value is taken from the
// constants without allocating, an unknown one is kept as it is.
func (c *Category) UnmarshalText(b []byte) error { *c = intern(categories, b); return nil }

// Outcome is whether the action succeeded.
type Outcome string

// Outcomes.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeFailure Outcome = "failure"
	OutcomeUnknown Outcome = "unknown"
)

var outcomes = []Outcome{OutcomeSuccess, OutcomeFailure, OutcomeUnknown}

// Outcomes returns every outcome.
func Outcomes() []Outcome { return slices.Clone(outcomes) }

// Valid reports whether o is one of the Outcome constants.
func (o Outcome) Valid() bool { return slices.Contains(outcomes, o) }

// AppendText appends o to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (o Outcome) AppendText(b []byte) ([]byte, error) { return append(b, o...), nil }

// IsZero reports whether o is empty, so that an unset Outcome is omitted from
// both encodings.
func (o Outcome) IsZero() bool { return o == "" }

// UnmarshalText sets o to the value of b; a known value is taken from the
// constants without allocating, an unknown one is kept as it is.
func (o *Outcome) UnmarshalText(b []byte) error { *o = intern(outcomes, b); return nil }

// Environment is the deployment stage a resource or an identity belongs to,
// as the customer's tags or account names map it.
type Environment string

// Environments.
const (
	EnvProduction  Environment = "prod"
	EnvStaging     Environment = "staging"
	EnvDevelopment Environment = "dev"
	EnvTest        Environment = "test"
	EnvUnknown     Environment = "unknown"
)

var environments = []Environment{EnvProduction, EnvStaging, EnvDevelopment, EnvTest, EnvUnknown}

// Environments returns every environment.
func Environments() []Environment { return slices.Clone(environments) }

// Valid reports whether e is one of the Environment constants.
func (e Environment) Valid() bool { return slices.Contains(environments, e) }

// AppendText appends e to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (e Environment) AppendText(b []byte) ([]byte, error) { return append(b, e...), nil }

// IsZero reports whether e is empty, so that an unset Environment is omitted from
// both encodings.
func (e Environment) IsZero() bool { return e == "" }

// UnmarshalText sets e to the value of b; a known value is taken from the
// constants without allocating, an unknown one is kept as it is.
func (e *Environment) UnmarshalText(b []byte) error { *e = intern(environments, b); return nil }

// Sensitivity is the classification of data, lowest first.
type Sensitivity string

// Sensitivities, from the least to the most sensitive.
const (
	SensitivityPublic       Sensitivity = "public"
	SensitivityInternal     Sensitivity = "internal"
	SensitivityConfidential Sensitivity = "confidential"
	SensitivityRestricted   Sensitivity = "restricted"
	SensitivityUnknown      Sensitivity = "unknown"
)

var sensitivities = []Sensitivity{
	SensitivityPublic, SensitivityInternal, SensitivityConfidential, SensitivityRestricted,
	SensitivityUnknown,
}

// Sensitivities returns every sensitivity.
func Sensitivities() []Sensitivity { return slices.Clone(sensitivities) }

// Valid reports whether s is one of the Sensitivity constants.
func (s Sensitivity) Valid() bool { return slices.Contains(sensitivities, s) }

// AppendText appends s to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (s Sensitivity) AppendText(b []byte) ([]byte, error) { return append(b, s...), nil }

// IsZero reports whether s is empty, so that an unset Sensitivity is omitted from
// both encodings.
func (s Sensitivity) IsZero() bool { return s == "" }

// UnmarshalText sets s to the value of b; a known value is taken from the
// constants without allocating, an unknown one is kept as it is.
func (s *Sensitivity) UnmarshalText(b []byte) error { *s = intern(sensitivities, b); return nil }

// Rank orders sensitivities for comparisons: 0 for unknown or empty, then
// 1 (public) to 4 (restricted).
func (s Sensitivity) Rank() int {
	switch s {
	case SensitivityPublic:
		return 1
	case SensitivityInternal:
		return 2
	case SensitivityConfidential:
		return 3
	case SensitivityRestricted:
		return 4
	}
	return 0
}

// IdentityClass is the class the enrich stage gives an identity from its
// behaviour and context.
type IdentityClass string

// Identity classes.
const (
	// ClassAIUser is a person using AI tools (chat assistants, copilots).
	ClassAIUser IdentityClass = "ai_user"
	// ClassAIBuilder is a person or pipeline account building AI: training,
	// model registries, deployment, API keys.
	ClassAIBuilder IdentityClass = "ai_builder"
	// ClassAIAgent is an autonomous system acting on its own credentials.
	ClassAIAgent IdentityClass = "ai_agent"
	// ClassHuman is a person with no AI activity seen.
	ClassHuman IdentityClass = "human"
	// ClassService is a non-person principal with no AI activity seen.
	ClassService IdentityClass = "service"
	// ClassUnknown is used until the classifier has evidence.
	ClassUnknown IdentityClass = "unknown"
)

var identityClasses = []IdentityClass{
	ClassAIUser, ClassAIBuilder, ClassAIAgent, ClassHuman, ClassService, ClassUnknown,
}

// IdentityClasses returns every identity class.
func IdentityClasses() []IdentityClass { return slices.Clone(identityClasses) }

// Valid reports whether c is one of the IdentityClass constants.
func (c IdentityClass) Valid() bool { return slices.Contains(identityClasses, c) }

// AppendText appends c to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (c IdentityClass) AppendText(b []byte) ([]byte, error) { return append(b, c...), nil }

// IsZero reports whether c is empty, so that an unset IdentityClass is omitted from
// both encodings.
func (c IdentityClass) IsZero() bool { return c == "" }

// UnmarshalText sets c to the value of b; a known value is taken from the
// constants without allocating, an unknown one is kept as it is.
func (c *IdentityClass) UnmarshalText(b []byte) error { *c = intern(identityClasses, b); return nil }

// AIServiceStatus tells whether the AI service an event used is sanctioned by
// the customer or shadow AI.
type AIServiceStatus string

// AI service statuses.
const (
	AIServiceSanctioned AIServiceStatus = "sanctioned"
	AIServiceShadow     AIServiceStatus = "shadow"
	AIServiceUnknown    AIServiceStatus = "unknown"
)

var aiServiceStatuses = []AIServiceStatus{AIServiceSanctioned, AIServiceShadow, AIServiceUnknown}

// AIServiceStatuses returns every AI service status.
func AIServiceStatuses() []AIServiceStatus { return slices.Clone(aiServiceStatuses) }

// Valid reports whether s is one of the AIServiceStatus constants.
func (s AIServiceStatus) Valid() bool { return slices.Contains(aiServiceStatuses, s) }

// AppendText appends s to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (s AIServiceStatus) AppendText(b []byte) ([]byte, error) { return append(b, s...), nil }

// IsZero reports whether s is empty, so that an unset AIServiceStatus is omitted from
// both encodings.
func (s AIServiceStatus) IsZero() bool { return s == "" }

// UnmarshalText sets s to the value of b; a known value is taken from the
// constants without allocating, an unknown one is kept as it is.
func (s *AIServiceStatus) UnmarshalText(b []byte) error {
	*s = intern(aiServiceStatuses, b)
	return nil
}

// RawFormat is the format of a raw source record.
type RawFormat string

// Raw record formats.
const (
	RawJSON   RawFormat = "json"
	RawText   RawFormat = "text"
	RawCEF    RawFormat = "cef"
	RawSyslog RawFormat = "syslog"
	RawBinary RawFormat = "binary"
)

var rawFormats = []RawFormat{RawJSON, RawText, RawCEF, RawSyslog, RawBinary}

// RawFormats returns every raw record format.
func RawFormats() []RawFormat { return slices.Clone(rawFormats) }

// Valid reports whether f is one of the RawFormat constants.
func (f RawFormat) Valid() bool { return slices.Contains(rawFormats, f) }

// AppendText appends f to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (f RawFormat) AppendText(b []byte) ([]byte, error) { return append(b, f...), nil }

// IsZero reports whether f is empty, so that an unset RawFormat is omitted from
// both encodings.
func (f RawFormat) IsZero() bool { return f == "" }

// UnmarshalText sets f to the value of b; a known value is taken from the
// constants without allocating, an unknown one is kept as it is.
func (f *RawFormat) UnmarshalText(b []byte) error { *f = intern(rawFormats, b); return nil }

// DataType names a kind of sensitive data a detector found in a prompt or a
// payload. The list is open: detectors may report types not listed here,
// which is why DataType has no Valid method.
type DataType string

// Common sensitive data types.
const (
	DataEmailAddress       DataType = "email_address"
	DataPhoneNumber        DataType = "phone_number"
	DataPersonName         DataType = "person_name"
	DataNationalID         DataType = "national_id"
	DataCreditCard         DataType = "credit_card"
	DataBankAccount        DataType = "bank_account"
	DataAPIKey             DataType = "api_key"
	DataCloudCredential    DataType = "cloud_credential"
	DataPrivateKey         DataType = "private_key"
	DataPassword           DataType = "password"
	DataSourceCode         DataType = "source_code"
	DataHealthRecord       DataType = "health_record"
	DataCustomerRecord     DataType = "customer_record"
	DataConfidentialMarker DataType = "confidential_marker"
)

var dataTypes = []DataType{
	DataEmailAddress, DataPhoneNumber, DataPersonName, DataNationalID, DataCreditCard,
	DataBankAccount, DataAPIKey, DataCloudCredential, DataPrivateKey, DataPassword,
	DataSourceCode, DataHealthRecord, DataCustomerRecord, DataConfidentialMarker,
}

// DataTypes returns the common sensitive data types (the list is open).
func DataTypes() []DataType { return slices.Clone(dataTypes) }

// AppendText appends t to b. With UnmarshalText it implements the text
// encoding the MessagePack codec uses for enums.
func (t DataType) AppendText(b []byte) ([]byte, error) { return append(b, t...), nil }

// IsZero reports whether t is empty, so that an unset DataType is omitted from
// both encodings.
func (t DataType) IsZero() bool { return t == "" }

// UnmarshalText sets t to the value of b; a common value is taken from the
// constants without allocating, any other is kept as it is.
func (t *DataType) UnmarshalText(b []byte) error { *t = intern(dataTypes, b); return nil }

// intern returns the constant of known equal to b, or a new value holding a
// copy of b. Comparing string(b) does not allocate.
func intern[T ~string](known []T, b []byte) T {
	for _, k := range known {
		if string(k) == string(b) {
			return k
		}
	}
	return T(b)
}
