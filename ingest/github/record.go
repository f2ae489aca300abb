package github

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"

	json "github.com/goccy/go-json"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/srcjson"
)

// record holds the fields of a GitHub audit log entry that normalization
// reads. The REST API (organization and enterprise audit log) and audit log
// streaming deliver the same flat shape; fields not listed are skipped by
// the decoder.
type record struct {
	Timestamp  msTime `json:"@timestamp"`
	CreatedAt  msTime `json:"created_at"`
	DocumentID string `json:"_document_id"`
	Action     string `json:"action"`
	// OperationType is create, modify, remove, access, transfer or
	// authentication.
	OperationType string `json:"operation_type"`
	RequestID     string `json:"request_id"`

	Actor        string      `json:"actor"`
	ActorID      json.Number `json:"actor_id"`
	ActorIsBot   bool        `json:"actor_is_bot"`
	ActorIsAgent bool        `json:"actor_is_agent"`
	ActorIP      string      `json:"actor_ip"`
	UserAgent    string      `json:"user_agent"`
	ActorLoc     struct {
		CountryCode string `json:"country_code"`
	} `json:"actor_location"`

	// User is the user the action was done to (a member added, a seat
	// assigned), not the actor.
	User   string      `json:"user"`
	UserID json.Number `json:"user_id"`

	Org        string      `json:"org"`
	OrgID      json.Number `json:"org_id"`
	Business   string      `json:"business"`
	BusinessID json.Number `json:"business_id"`
	Repo       string      `json:"repo"`
	Repository string      `json:"repository"`
	RepoID     json.Number `json:"repo_id"`

	ProgrammaticAccessType string      `json:"programmatic_access_type"`
	HashedToken            string      `json:"hashed_token"`
	TokenID                json.Number `json:"token_id"`
	TokenScopes            string      `json:"token_scopes"`
	OAuthApplicationID     json.Number `json:"oauth_application_id"`
	OAuthApplicationName   string      `json:"oauth_application_name"`

	ExternalIdentityNameID   string `json:"external_identity_nameid"`
	ExternalIdentityUsername string `json:"external_identity_username"`
	Issuer                   string `json:"issuer"`

	// Event-specific fields.
	Name                       string      `json:"name"`
	Key                        string      `json:"key"`
	Team                       string      `json:"team"`
	Visibility                 string      `json:"visibility"`
	PreviousVisibility         string      `json:"previous_visibility"`
	Permission                 string      `json:"permission"`
	OldPermission              string      `json:"old_permission"`
	Integration                string      `json:"integration"`
	InstallationID             json.Number `json:"installation_id"`
	Title                      string      `json:"title"`
	Fingerprint                string      `json:"fingerprint"`
	DeployKeyFingerprint       string      `json:"deploy_key_fingerprint"`
	TransportProtocolName      string      `json:"transport_protocol_name"`
	UserProgrammaticAccessID   json.Number `json:"user_programmatic_access_id"`
	UserProgrammaticAccessName string      `json:"user_programmatic_access_name"`
	RepositorySelection        string      `json:"repository_selection"`
	WorkflowID                 json.Number `json:"workflow_id"`
	WorkflowRunID              json.Number `json:"workflow_run_id"`
	JobWorkflowRef             string      `json:"job_workflow_ref"`
	HeadBranch                 string      `json:"head_branch"`
	TriggerEvent               string      `json:"event"`
	Conclusion                 string      `json:"conclusion"`
	Branch                     string      `json:"branch"`
	StatusCode                 json.Number `json:"status_code"`
	RequestMethod              string      `json:"request_method"`
	Route                      string      `json:"route"`
	Reason                     string      `json:"reason"`
}

// msTime is a GitHub audit timestamp: epoch milliseconds as a JSON number
// (what the API and streaming send), a numeric string, or an RFC 3339
// string (some exports). Its decoder never fails; a value of another shape
// is recorded in bad, so that Normalize can name the field.
type msTime struct {
	t   time.Time
	set bool
	bad string
}

// UnmarshalJSON implements json.Unmarshaler.
func (m *msTime) UnmarshalJSON(b []byte) error {
	*m = msTime{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			m.bad = "not a valid string"
			return nil
		}
		if s == "" {
			return nil
		}
		if ms, ok := parseMillis(s); ok {
			m.t, m.set = ms, true
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			m.bad = fmt.Sprintf("%q is neither epoch milliseconds nor an RFC 3339 time", srcjson.Clip(s, maxQuoted, "..."))
			return nil
		}
		m.t, m.set = t.UTC(), true
		return nil
	}
	if b[0] == '-' || (b[0] >= '0' && b[0] <= '9') {
		if ms, ok := parseMillis(string(b)); ok {
			m.t, m.set = ms, true
			return nil
		}
		m.bad = fmt.Sprintf("%s is not a valid epoch milliseconds value", srcjson.Clip(string(b), maxQuoted, "..."))
		return nil
	}
	m.bad = "not a number or a string"
	return nil
}

// maxQuoted is how much of a bad value an error quotes.
const maxQuoted = 64

// parseMillis parses epoch milliseconds, integer or decimal.
func parseMillis(s string) (time.Time, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(n).UTC(), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f / 1000)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// decodeRecord decodes one audit record into r. goccy/go-json does the work;
// when it fails, the record is decoded once more with encoding/json, whose
// type errors carry the JSON path of the field, so that the error names it.
func decodeRecord(b []byte, r *record) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errEmpty
	}
	err := json.Unmarshal(b, r)
	if err == nil {
		return nil
	}
	var std record
	stdErr := stdjson.Unmarshal(b, &std)
	if fe := typeError(stdErr); fe != nil {
		return fe
	}
	return fmt.Errorf("decode github audit record: %w", err)
}

// errEmpty is returned for an empty record.
var errEmpty = errors.New("decode github audit record: empty record")

// typeError turns an encoding/json type error into a field error, or
// returns nil when err is not one.
func typeError(err error) error {
	var te *stdjson.UnmarshalTypeError
	if !errors.As(err, &te) {
		return nil
	}
	if te.Field == "" {
		return fmt.Errorf("decode github audit record: not a JSON object (got %s)", te.Value)
	}
	return ingest.Invalid(te.Field, "not %s (got %s)", kindName(te.Type), te.Value)
}

// kindName names the JSON kind a Go type decodes from, a json.Number as
// a number.
func kindName(t reflect.Type) string {
	if t == reflect.TypeFor[json.Number]() {
		return "a number"
	}
	return srcjson.KindName(t)
}
