package aws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/aitdr/aitdr/responder"
	"github.com/aitdr/aitdr/responder/connectors/aws"
)

// account is moto's default account, the one its default credentials act in.
const (
	account      = "123456789012"
	otherAccount = "210987654321"
)

// now is the test clock.
var now = time.Date(2025, 3, 14, 9, 30, 0, 400e6, time.UTC)

var seq atomic.Int64

// unique returns a name no other test of this run uses in moto.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e6, seq.Add(1))
}

// awsEnv points the SDK's default chain at static test credentials and
// nothing of the machine's own configuration.
func awsEnv(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "", "AWS_REGION": "",
	} {
		t.Setenv(k, v)
	}
}

// newConnector returns a connector against moto for cfg's accounts
// (default: account, with the default credentials).
func newConnector(t *testing.T, endpoint string, accounts ...aws.Account) *aws.Connector {
	t.Helper()
	awsEnv(t)
	if len(accounts) == 0 {
		accounts = []aws.Account{{ID: account}}
	}
	c, err := aws.New(context.Background(), aws.Config{Endpoint: endpoint, Accounts: accounts, MaxAttempts: 1},
		aws.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// iamClient is the test's own IAM client in moto, with the credentials of
// creds (the default test credentials when nil).
func iamClient(endpoint string, creds sdk.CredentialsProvider) *iam.Client {
	if creds == nil {
		creds = credentials.NewStaticCredentialsProvider("testing", "testing", "")
	}
	return iam.New(iam.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: sdk.String(endpoint)})
}

// fixture creates a user with two active access keys and a console
// password, and a role, and returns their names and the key ids.
func fixture(t *testing.T, c *iam.Client) (user, role string, keys []string) {
	t.Helper()
	ctx := context.Background()
	user, role = unique("agent-user"), unique("bedrock-agent")
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: sdk.String(user)}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: sdk.String(user)})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, sdk.ToString(k.AccessKey.AccessKeyId))
	}
	if _, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: sdk.String(user), Password: sdk.String("Correct-Horse-42!")}); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: sdk.String(role), AssumeRolePolicyDocument: sdk.String(trust)}); err != nil {
		t.Fatal(err)
	}
	return user, role, keys
}

func request(kind responder.ActionKind, acct, native string) responder.Request {
	return responder.Request{ActionID: "act-" + string(kind), AlertID: "a7c1d9e3b5f70214", Kind: kind,
		Principal: responder.Principal{ID: "aws:" + acct + ":" + native, Provider: "aws"}}
}

// do runs req, failing the test on an error.
func do(t *testing.T, c *aws.Connector, req responder.Request) responder.Result {
	t.Helper()
	res, err := c.Do(context.Background(), req)
	if err != nil {
		t.Fatalf("%s (dry run %v, rollback %v): %v", req.Kind, req.DryRun, req.Rollback, err)
	}
	return res
}

func keyStatuses(t *testing.T, c *iam.Client, user string) map[string]types.StatusType {
	t.Helper()
	out, err := c.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: sdk.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]types.StatusType{}
	for _, k := range out.AccessKeyMetadata {
		m[sdk.ToString(k.AccessKeyId)] = k.Status
	}
	return m
}

// TestRevokeKeys shows every active key of the user is deactivated, a dry
// run and a second run change nothing, the evidence scope keeps the other
// keys, and the rollback reactivates exactly the keys deactivated.
func TestRevokeKeys(t *testing.T) {
	endpoint := motoURL(t)
	c := newConnector(t, endpoint)
	admin := iamClient(endpoint, nil)
	user, _, keys := fixture(t, admin)
	req := request(responder.ActionRevokeKeys, account, "user/"+user)

	dry := req
	dry.DryRun = true
	if res := do(t, c, dry); len(res.Changes) != 2 || !strings.HasPrefix(res.Changes[0], "would iam:UpdateAccessKey") || res.Rollback != nil {
		t.Errorf("dry run: %q %v", res.Changes, res.Rollback)
	}
	for id, st := range keyStatuses(t, admin, user) {
		if st != types.StatusTypeActive {
			t.Errorf("dry run deactivated %s", id)
		}
	}

	res := do(t, c, req)
	want := []string{"iam:UpdateAccessKey " + keys[0] + " Inactive", "iam:UpdateAccessKey " + keys[1] + " Inactive"}
	slices.Sort(res.Changes)
	slices.Sort(want)
	if !slices.Equal(res.Changes, want) {
		t.Errorf("changes %q, want %q", res.Changes, want)
	}
	for id, st := range keyStatuses(t, admin, user) {
		if st != types.StatusTypeInactive {
			t.Errorf("key %s is %s", id, st)
		}
	}
	if again := do(t, c, req); len(again.Changes) != 0 || again.Rollback != nil {
		t.Errorf("second run: %q", again.Changes)
	}
	if res.Rollback == nil {
		t.Fatal("no rollback")
	}
	rb := do(t, c, *res.Rollback)
	if len(rb.Changes) != 2 {
		t.Errorf("rollback changes %q", rb.Changes)
	}
	for id, st := range keyStatuses(t, admin, user) {
		if st != types.StatusTypeActive {
			t.Errorf("after rollback key %s is %s", id, st)
		}
	}

	evidence := req
	evidence.Params = map[string]string{aws.ParamKeys: "evidence"}
	evidence.Principal.CredentialIDs = []string{keys[1], "ASIAXQDEMOKEY7F3C2EX"}
	if res := do(t, c, evidence); !slices.Equal(res.Changes, []string{"iam:UpdateAccessKey " + keys[1] + " Inactive"}) {
		t.Errorf("evidence scope changes %q", res.Changes)
	}
	if st := keyStatuses(t, admin, user); st[keys[0]] != types.StatusTypeActive || st[keys[1]] != types.StatusTypeInactive {
		t.Errorf("evidence scope statuses %v", st)
	}
}

// TestDeleteLoginProfile shows the console password is removed once, and
// that a role or a rollback is refused.
func TestDeleteLoginProfile(t *testing.T) {
	endpoint := motoURL(t)
	c := newConnector(t, endpoint)
	admin := iamClient(endpoint, nil)
	user, role, _ := fixture(t, admin)
	req := request(responder.ActionDeleteLoginProfile, account, "user/"+user)

	dry := req
	dry.DryRun = true
	if res := do(t, c, dry); !slices.Equal(res.Changes, []string{"would iam:DeleteLoginProfile " + user}) {
		t.Errorf("dry run %q", res.Changes)
	}
	if res := do(t, c, req); !slices.Equal(res.Changes, []string{"iam:DeleteLoginProfile " + user}) || res.Rollback != nil {
		t.Errorf("changes %q rollback %v", res.Changes, res.Rollback)
	}
	if _, err := admin.GetLoginProfile(context.Background(), &iam.GetLoginProfileInput{UserName: sdk.String(user)}); err == nil {
		t.Error("the login profile is still there")
	}
	if res := do(t, c, req); len(res.Changes) != 0 {
		t.Errorf("second run %q", res.Changes)
	}
	for _, bad := range []responder.Request{
		request(responder.ActionDeleteLoginProfile, account, "role/"+role),
		func() responder.Request { r := req; r.Rollback = true; return r }(),
	} {
		if _, err := c.Do(context.Background(), bad); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", bad.Principal.ID, err)
		}
	}
}

func inlinePolicy(t *testing.T, c *iam.Client, kind, name, policy string) string {
	t.Helper()
	var doc *string
	var err error
	if kind == "user" {
		var out *iam.GetUserPolicyOutput
		if out, err = c.GetUserPolicy(context.Background(), &iam.GetUserPolicyInput{UserName: &name, PolicyName: &policy}); err == nil {
			doc = out.PolicyDocument
		}
	} else {
		var out *iam.GetRolePolicyOutput
		if out, err = c.GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: &name, PolicyName: &policy}); err == nil {
			doc = out.PolicyDocument
		}
	}
	if err != nil {
		return ""
	}
	d, _ := url.QueryUnescape(sdk.ToString(doc))
	return d
}

// TestDenyAll shows deny_all and disable_account attach the inline deny-all
// policy to users and roles (and assumed-role sessions' roles), once, and
// the rollback removes it.
func TestDenyAll(t *testing.T) {
	endpoint := motoURL(t)
	c := newConnector(t, endpoint)
	admin := iamClient(endpoint, nil)
	user, role, _ := fixture(t, admin)
	for _, tc := range []struct {
		kind         responder.ActionKind
		native       string
		entity, name string
		op           string
	}{
		{responder.ActionDenyAll, "user/" + user, "user", user, "iam:PutUserPolicy"},
		{responder.ActionDisableAccount, "role/" + role, "role", role, "iam:PutRolePolicy"},
		{responder.ActionDenyAll, "assumed-role/" + role + "/support-agent-7f3c", "role", role, "iam:PutRolePolicy"},
	} {
		t.Run(tc.native, func(t *testing.T) {
			req := request(tc.kind, account, tc.native)
			res := do(t, c, req)
			if want := []string{tc.op + " " + tc.name + " " + aws.DefaultDenyPolicyName}; !slices.Equal(res.Changes, want) {
				t.Errorf("changes %q, want %q", res.Changes, want)
			}
			var doc struct {
				Statement []struct{ Effect, Action, Resource string }
			}
			if err := json.Unmarshal([]byte(inlinePolicy(t, admin, tc.entity, tc.name, aws.DefaultDenyPolicyName)), &doc); err != nil ||
				len(doc.Statement) != 1 || doc.Statement[0].Effect != "Deny" || doc.Statement[0].Action != "*" || doc.Statement[0].Resource != "*" {
				t.Errorf("policy %+v, %v", doc, err)
			}
			if again := do(t, c, req); len(again.Changes) != 0 {
				t.Errorf("second run %q", again.Changes)
			}
			if res.Rollback == nil {
				t.Fatal("no rollback")
			}
			do(t, c, *res.Rollback)
			if p := inlinePolicy(t, admin, tc.entity, tc.name, aws.DefaultDenyPolicyName); p != "" {
				t.Errorf("policy left after rollback: %s", p)
			}
			if again := do(t, c, *res.Rollback); len(again.Changes) != 0 {
				t.Errorf("second rollback %q", again.Changes)
			}
		})
	}
}

// TestRevokeSessions shows the AWS-documented revocation policy is put
// with the cut-off just after now, and that the rollback restores what was
// there before: nothing, or an earlier revocation.
func TestRevokeSessions(t *testing.T) {
	endpoint := motoURL(t)
	c := newConnector(t, endpoint)
	admin := iamClient(endpoint, nil)
	_, role, _ := fixture(t, admin)
	req := request(responder.ActionRevokeSessions, account, "role/"+role)

	res := do(t, c, req)
	want := aws.RevokeSessionsPolicy(time.Date(2025, 3, 14, 9, 30, 1, 0, time.UTC))
	if got := inlinePolicy(t, admin, "role", role, aws.DefaultRevokePolicyName); got != want {
		t.Errorf("policy\n%s, want\n%s", got, want)
	}
	if !strings.Contains(want, `"DateLessThan":{"aws:TokenIssueTime":"2025-03-14T09:30:01Z"}`) {
		t.Errorf("policy %s has no TokenIssueTime condition", want)
	}
	do(t, c, *res.Rollback)
	if got := inlinePolicy(t, admin, "role", role, aws.DefaultRevokePolicyName); got != "" {
		t.Errorf("policy after rollback: %s", got)
	}

	// An earlier revocation is there: the rollback puts it back.
	earlier := aws.RevokeSessionsPolicy(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if _, err := admin.PutRolePolicy(context.Background(), &iam.PutRolePolicyInput{RoleName: &role,
		PolicyName: sdk.String(aws.DefaultRevokePolicyName), PolicyDocument: &earlier}); err != nil {
		t.Fatal(err)
	}
	res = do(t, c, req)
	if got := inlinePolicy(t, admin, "role", role, aws.DefaultRevokePolicyName); got != want {
		t.Errorf("policy %s, want %s", got, want)
	}
	do(t, c, *res.Rollback)
	if got := inlinePolicy(t, admin, "role", role, aws.DefaultRevokePolicyName); got != earlier {
		t.Errorf("policy after rollback %s, want the earlier %s", got, earlier)
	}
}

func tags(t *testing.T, c *iam.Client, kind, name string) map[string]string {
	t.Helper()
	var list []types.Tag
	if kind == "user" {
		out, err := c.ListUserTags(context.Background(), &iam.ListUserTagsInput{UserName: &name})
		if err != nil {
			t.Fatal(err)
		}
		list = out.Tags
	} else {
		out, err := c.ListRoleTags(context.Background(), &iam.ListRoleTagsInput{RoleName: &name})
		if err != nil {
			t.Fatal(err)
		}
		list = out.Tags
	}
	m := map[string]string{}
	for _, tg := range list {
		m[sdk.ToString(tg.Key)] = sdk.ToString(tg.Value)
	}
	return m
}

// TestQuarantineTag shows the quarantine tag is set to the alert id once,
// and the rollback restores the previous value or removes the tag.
func TestQuarantineTag(t *testing.T) {
	endpoint := motoURL(t)
	c := newConnector(t, endpoint)
	admin := iamClient(endpoint, nil)
	user, role, _ := fixture(t, admin)
	if _, err := admin.TagUser(context.Background(), &iam.TagUserInput{UserName: &user,
		Tags: []types.Tag{{Key: sdk.String(aws.DefaultTagKey), Value: sdk.String("earlier-alert")}}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		native, kind, name string
		after              map[string]string
	}{
		{"role/" + role, "role", role, map[string]string{}},
		{"user/" + user, "user", user, map[string]string{aws.DefaultTagKey: "earlier-alert"}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			req := request(responder.ActionQuarantineTag, account, tc.native)
			res := do(t, c, req)
			if got := tags(t, admin, tc.kind, tc.name); got[aws.DefaultTagKey] != req.AlertID {
				t.Errorf("tags %v", got)
			}
			if again := do(t, c, req); len(again.Changes) != 0 {
				t.Errorf("second run %q", again.Changes)
			}
			do(t, c, *res.Rollback)
			if got := tags(t, admin, tc.kind, tc.name); fmt.Sprint(got) != fmt.Sprint(tc.after) {
				t.Errorf("tags after rollback %v, want %v", got, tc.after)
			}
		})
	}
}

// TestAccounts shows the connector acts only in configured accounts, with
// credentials that belong to them: the default credentials of another
// account are refused, and a role in another account is assumed.
func TestAccounts(t *testing.T) {
	endpoint := motoURL(t)
	admin := iamClient(endpoint, nil)
	user, _, _ := fixture(t, admin)

	c := newConnector(t, endpoint)
	if _, err := c.Do(context.Background(), request(responder.ActionDenyAll, otherAccount, "user/"+user)); err == nil ||
		!strings.Contains(err.Error(), "not configured") {
		t.Errorf("unconfigured account: %v", err)
	}

	wrong := newConnector(t, endpoint, aws.Account{ID: otherAccount})
	if _, err := wrong.Do(context.Background(), request(responder.ActionDenyAll, otherAccount, "user/"+user)); err == nil ||
		!strings.Contains(err.Error(), "belong to account "+account) {
		t.Errorf("default credentials of another account: %v", err)
	}

	// The other account's own admin, through the role the connector assumes.
	roleARN := "arn:aws:iam::" + otherAccount + ":role/aitdr-responder"
	stsc := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: sdk.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", "")})
	out, err := stsc.AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: &roleARN, RoleSessionName: sdk.String("test")})
	if err != nil {
		t.Fatal(err)
	}
	otherAdmin := iamClient(endpoint, credentials.NewStaticCredentialsProvider(
		sdk.ToString(out.Credentials.AccessKeyId), sdk.ToString(out.Credentials.SecretAccessKey), sdk.ToString(out.Credentials.SessionToken)))
	otherUser, _, _ := fixture(t, otherAdmin)

	cross := newConnector(t, endpoint, aws.Account{ID: account}, aws.Account{ID: otherAccount, RoleARN: roleARN, ExternalID: "aitdr-7f3c"})
	do(t, cross, request(responder.ActionDenyAll, otherAccount, "user/"+otherUser))
	if inlinePolicy(t, otherAdmin, "user", otherUser, aws.DefaultDenyPolicyName) == "" {
		t.Error("no policy in the other account")
	}
	if inlinePolicy(t, admin, "user", otherUser, aws.DefaultDenyPolicyName) != "" {
		t.Error("the policy landed in the default account")
	}
}

// TestProviderErrors shows IAM's errors become ProviderErrors with the AWS
// code and HTTP status: a missing user is not retryable.
func TestProviderErrors(t *testing.T) {
	endpoint := motoURL(t)
	c := newConnector(t, endpoint)
	_, err := c.Do(context.Background(), request(responder.ActionDenyAll, account, "user/"+unique("nobody")))
	var pe *responder.ProviderError
	if !errors.As(err, &pe) || pe.Code != "NoSuchEntity" || pe.Status != http.StatusNotFound || pe.Retryable || pe.Op != "iam:PutUserPolicy" {
		t.Errorf("error %#v", err)
	}
	for _, native := range []string{"root", "federated-user/Bob", "service/sagemaker.amazonaws.com"} {
		if _, err := c.Do(context.Background(), request(responder.ActionDenyAll, account, native)); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", native, err)
		}
	}
}

// TestThrottling shows an IAM throttling answer (its documented Query API
// error document) is a retryable ProviderError. It needs no moto: the
// answer comes from an httptest server.
func TestThrottling(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "text/xml")
		if r.PostForm.Get("Action") == "GetCallerIdentity" {
			fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
				`<Arn>arn:aws:iam::%s:user/responder</Arn><UserId>AIDAEXAMPLE</UserId><Account>%s</Account></GetCallerIdentityResult>`+
				`<ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, account, account)
			return
		}
		// https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>`+
			`<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fedcba98-7654-3210</RequestId></ErrorResponse>`)
	}))
	defer srv.Close()
	c := newConnector(t, srv.URL)
	_, err := c.Do(context.Background(), request(responder.ActionDenyAll, account, "role/bedrock-agent"))
	var pe *responder.ProviderError
	if !errors.As(err, &pe) || pe.Code != "Throttling" || !pe.Retryable || pe.Status != http.StatusBadRequest || pe.Message != "Rate exceeded" {
		t.Errorf("error %#v", err)
	}
}

// TestConfigValidate shows every problem is reported with its field path.
func TestConfigValidate(t *testing.T) {
	err := aws.Config{
		Endpoint: "localhost:5000",
		Accounts: []aws.Account{
			{ID: "12345"},
			{ID: otherAccount, RoleARN: "arn:aws:iam::111122223333:role/x"},
			{ID: otherAccount},
			{ID: "999999999999", ExternalID: "x"},
		},
		DenyPolicyName: "bad name",
		TagKey:         "aws:reserved",
		Timeout:        -time.Second,
	}.Validate()
	for _, want := range []string{
		"endpoint:", "accounts[0].id:", "accounts[1].role_arn: \"arn:aws:iam::111122223333:role/x\" is in account 111122223333",
		"accounts[2].id: \"210987654321\" is listed twice", "accounts[3]: external_id and session_name need role_arn",
		"deny_policy_name:", "tag_key:", "timeout:",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}
