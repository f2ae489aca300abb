// Package cloudtrail normalizes AWS CloudTrail records into the event
// contract: single records, CloudTrail log files ({"Records": [...]}) and
// EventBridge envelopes ("AWS API Call via CloudTrail" and the other
// "... via CloudTrail" detail types) split by Split.
//
// Identities come from userIdentity. The stable identity of an assumed role
// is the role, "aws:<account>:role/<name>", whatever the session; the
// session name, issuer, MFA flag and creation time go into Session. The
// event families detection relies on (IAM, STS, console sign-in, S3 data
// events, Bedrock, SageMaker, CloudTrail and other audit-logging changes,
// Secrets Manager and KMS) get a verb, a category and a target from a
// table (actions.go); any other event is normalized too, with a verb from
// the AWS naming convention of its name and the category its service
// implies, or other.
package cloudtrail

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aitdr/aitdr/ingest"
	"github.com/aitdr/aitdr/ingest/srcjson"
	"github.com/aitdr/aitdr/schemas"
)

// Provider is the identity provider of every CloudTrail principal.
const Provider = "aws"

// Source normalizes CloudTrail records. It is safe for concurrent use.
type Source struct {
	now func() time.Time
}

var (
	_ ingest.Source   = (*Source)(nil)
	_ ingest.Splitter = (*Source)(nil)
)

// Option configures a Source.
type Option func(*Source)

// WithClock sets the clock that bounds event times: a record more than 24
// hours ahead of it is rejected. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// New returns a CloudTrail Source.
func New(opts ...Option) *Source {
	s := &Source{now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Product returns schemas.ProductAWSCloudTrail.
func (s *Source) Product() schemas.Product { return schemas.ProductAWSCloudTrail }

var (
	keyEventVersion = []byte(`"eventVersion"`)
	keyEventSource  = []byte(`"eventSource"`)
	keyAWSRegion    = []byte(`"awsRegion"`)
)

// Detect reports whether record holds CloudTrail's distinctive keys
// (eventVersion, eventSource and awsRegion): a single record, a log file or
// an EventBridge envelope of one.
func (s *Source) Detect(record []byte) bool {
	return bytes.Contains(record, keyEventVersion) &&
		bytes.Contains(record, keyEventSource) &&
		bytes.Contains(record, keyAWSRegion)
}

// record is the part of a CloudTrail record that normalization reads
// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
// The service-specific parts stay raw and are decoded only for the events
// whose shape is known (actions.go), so an unknown service's fields never
// fail a record.
type record struct {
	EventVersion                 string        `json:"eventVersion"`
	UserIdentity                 *userIdentity `json:"userIdentity"`
	EventTime                    string        `json:"eventTime"`
	EventSource                  string        `json:"eventSource"`
	EventName                    string        `json:"eventName"`
	AWSRegion                    string        `json:"awsRegion"`
	SourceIPAddress              string        `json:"sourceIPAddress"`
	UserAgent                    string        `json:"userAgent"`
	ErrorCode                    string        `json:"errorCode"`
	ErrorMessage                 string        `json:"errorMessage"`
	RequestParameters            raw           `json:"requestParameters"`
	ResponseElements             raw           `json:"responseElements"`
	AdditionalEventData          raw           `json:"additionalEventData"`
	RequestID                    string        `json:"requestID"`
	EventID                      string        `json:"eventID"`
	ReadOnly                     *bool         `json:"readOnly"`
	Resources                    []resource    `json:"resources"`
	EventType                    string        `json:"eventType"`
	ManagementEvent              *bool         `json:"managementEvent"`
	RecipientAccountID           string        `json:"recipientAccountId"`
	SharedEventID                string        `json:"sharedEventID"`
	VPCEndpointID                string        `json:"vpcEndpointId"`
	VPCEndpointAccountID         string        `json:"vpcEndpointAccountId"`
	EventCategory                string        `json:"eventCategory"`
	SessionCredentialFromConsole string        `json:"sessionCredentialFromConsole"`
	TLSDetails                   tlsDetails    `json:"tlsDetails"`
}

type resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

type tlsDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader"`
}

// Normalize fills ev from one CloudTrail record. A record without
// eventTime, eventName or userIdentity, with an absurd time, a field of the
// wrong type or invalid UTF-8 in a key field fails with a
// *ingest.FieldError naming the field; truncated JSON fails with the
// decoder's error.
func (s *Source) Normalize(_ context.Context, data []byte, ev *schemas.Event) error {
	if err := s.normalize(data, ev); err != nil {
		return fmt.Errorf("normalize cloudtrail record: %w", err)
	}
	return nil
}

// state is the scratch space of one normalization: the decoded record and
// the normalizer's decoded parts, about 3 KB, pooled so that a record does
// not cost their allocation.
type state struct {
	r record
	n normalizer
}

var states = sync.Pool{New: func() any { return new(state) }}

func (s *Source) normalize(data []byte, ev *schemas.Event) error {
	st := states.Get().(*state)
	defer func() {
		*st = state{}
		states.Put(st)
	}()
	r := &st.r
	if err := decode(data, r, ""); err != nil {
		return err
	}
	if !utf8.Valid(data) {
		if err := r.checkUTF8(); err != nil {
			return err
		}
	}
	if r.EventTime == "" {
		return ingest.Missing("eventTime")
	}
	t, err := eventTime(r.EventTime, s.now())
	if err != nil {
		return err
	}
	if r.EventName == "" {
		return ingest.Missing("eventName")
	}
	if r.UserIdentity == nil {
		return ingest.Missing("userIdentity")
	}

	n := &st.n
	*n = normalizer{r: r, ev: ev}
	ev.Time = t
	ev.Source = schemas.Source{
		Product: schemas.ProductAWSCloudTrail,
		EventID: r.EventID,
		Account: r.RecipientAccountID,
		Region:  r.AWSRegion,
	}
	if ev.Source.Account == "" {
		ev.Source.Account = r.UserIdentity.AccountID
	}
	ev.Action = schemas.Action{Name: r.EventName, Service: r.EventSource}
	if err := n.identity(); err != nil {
		return err
	}
	n.action()
	n.outcome()
	n.network()
	n.attributes()
	if len(n.invalid) > 0 {
		n.attr("aws.invalid_fields", strings.Join(n.invalid, ","))
	}
	return nil
}

// normalizer carries one record through normalization.
type normalizer struct {
	r  *record
	ev *schemas.Event
	// rule is the table entry of the event, zero for unknown events.
	rule rule
	// req and resp are the decoded requestParameters and
	// responseElements of known events.
	req  request
	resp response
	// invalid lists optional fields whose values were unusable; they are
	// kept in the aws.invalid_fields attribute rather than failing the
	// record.
	invalid []string
}

// attr sets an attribute, skipping empty values.
func (n *normalizer) attr(key, value string) {
	if value == "" {
		return
	}
	if n.ev.Attributes == nil {
		n.ev.Attributes = make(map[string]string, 16)
	}
	n.ev.Attributes[key] = srcjson.Clean(value)
}

// basicTimestamp is the basic ISO 8601 form of a session creation date.
const basicTimestamp = "20060102T150405Z"

// eventTime parses eventTime and rejects times before 2000 or more than a
// day ahead of now.
func eventTime(s string, now time.Time) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, ingest.Invalid("eventTime", "%q is not an RFC 3339 time", clip(s))
	}
	t = t.UTC()
	if why := srcjson.Implausible(t, now); why != "" {
		return time.Time{}, ingest.Invalid("eventTime", "%s is %s", s, why)
	}
	return t, nil
}

// sessionTime parses a session creation date, in RFC 3339 or in the basic
// ISO 8601 form some documents show (20131102T010628Z).
func sessionTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(basicTimestamp, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// checkUTF8 rejects invalid UTF-8 in the fields the event is keyed and
// matched on. It is called for records that are not valid UTF-8, which the
// standard library's fallback decoder has decoded with U+FFFD in place of
// each bad byte, so a key field holding U+FFFD names the culprit.
func (r *record) checkUTF8() error {
	var u userIdentity
	if r.UserIdentity != nil {
		u = *r.UserIdentity
	}
	issuer, onBehalfOf := u.SessionContext.SessionIssuer, u.OnBehalfOf
	for _, f := range [...]struct{ name, value string }{
		{"eventTime", r.EventTime},
		{"eventName", r.EventName},
		{"eventSource", r.EventSource},
		{"eventID", r.EventID},
		{"recipientAccountId", r.RecipientAccountID},
		{"awsRegion", r.AWSRegion},
		{"userIdentity.type", u.Type},
		{"userIdentity.arn", u.ARN},
		{"userIdentity.userName", u.UserName},
		{"userIdentity.principalId", u.PrincipalID},
		{"userIdentity.accountId", u.AccountID},
		{"userIdentity.invokedBy", u.InvokedBy},
		{"userIdentity.accessKeyId", u.AccessKeyID},
		{"userIdentity.credentialId", u.CredentialID},
		{"userIdentity.identityProvider", u.IdentityProvider},
		{"userIdentity.sessionContext.sessionIssuer.accountId", issuer.AccountID},
		{"userIdentity.sessionContext.sessionIssuer.arn", issuer.ARN},
		{"userIdentity.sessionContext.sessionIssuer.userName", issuer.UserName},
		{"userIdentity.onBehalfOf.userId", onBehalfOf.UserID},
		{"userIdentity.onBehalfOf.identityStoreArn", onBehalfOf.IdentityStoreARN},
	} {
		if !utf8.ValidString(f.value) || strings.ContainsRune(f.value, utf8.RuneError) {
			return ingest.Invalid(f.name, "invalid UTF-8")
		}
	}
	return nil
}

// outcome sets Outcome and Error: errorCode or errorMessage mark a failure,
// and so does a console sign-in whose responseElements.ConsoleLogin is
// "Failure".
func (n *normalizer) outcome() {
	r, ev := n.r, n.ev
	ev.Outcome = schemas.OutcomeSuccess
	if r.ErrorCode != "" || r.ErrorMessage != "" || n.resp.ConsoleLogin == "Failure" {
		ev.Outcome = schemas.OutcomeFailure
		ev.Error = schemas.ErrorDetail{Code: srcjson.Clean(r.ErrorCode), Message: srcjson.Clean(r.ErrorMessage)}
	}
}

// network sets the client address when sourceIPAddress is one; AWS puts a
// service name there ("bedrock.amazonaws.com", "AWS Internal") when a
// service made the call, which is kept as an attribute instead.
func (n *normalizer) network() {
	r := n.r
	n.ev.Network.UserAgent = srcjson.Clean(r.UserAgent)
	if r.SourceIPAddress == "" {
		return
	}
	if ip, err := netip.ParseAddr(r.SourceIPAddress); err == nil {
		n.ev.Network.SourceIP = ip.Unmap().WithZone("").String()
		return
	}
	n.attr("aws.source_ip_address", r.SourceIPAddress)
}

// attributes keeps the record's extras that have no field.
func (n *normalizer) attributes() {
	r := n.r
	n.attr("aws.request_id", r.RequestID)
	n.attr("aws.event_type", r.EventType)
	n.attr("aws.event_category", r.EventCategory)
	if r.ManagementEvent != nil {
		n.attr("aws.management_event", boolString(*r.ManagementEvent))
	}
	if r.ReadOnly != nil {
		n.attr("aws.read_only", boolString(*r.ReadOnly))
	}
	n.attr("aws.shared_event_id", r.SharedEventID)
	n.attr("aws.vpc_endpoint_id", r.VPCEndpointID)
	n.attr("aws.vpc_endpoint_account_id", r.VPCEndpointAccountID)
	n.attr("aws.session_credential_from_console", r.SessionCredentialFromConsole)
	n.attr("aws.tls.version", r.TLSDetails.TLSVersion)
	n.attr("aws.tls.cipher_suite", r.TLSDetails.CipherSuite)
	n.attr("aws.tls.client_provided_host_header", r.TLSDetails.ClientProvidedHostHeader)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
