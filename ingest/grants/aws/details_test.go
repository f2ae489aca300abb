package aws_test

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aitdr/aitdr/ingest/grants/aws"
	"github.com/aitdr/aitdr/ingest/grants/snapshot"
)

const account = "123456789012"

// role returns authorization details with one role holding the given
// inline policy documents (JSON) and, when boundary is not empty, a
// permission boundary with that document.
func role(boundary string, docs ...string) string {
	var inline []string
	for i, d := range docs {
		inline = append(inline, `{"PolicyName":"p`+string(rune('0'+i))+`","PolicyDocument":`+d+`}`)
	}
	b, policies := "", ""
	if boundary != "" {
		b = `,"PermissionsBoundary":{"PermissionsBoundaryType":"Policy","PermissionsBoundaryArn":"arn:aws:iam::` + account + `:policy/boundary"}`
		policies = `{"PolicyName":"boundary","Arn":"arn:aws:iam::` + account + `:policy/boundary","DefaultVersionId":"v2","PolicyVersionList":[` +
			`{"Document":{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}},"VersionId":"v1","IsDefaultVersion":false},` +
			`{"Document":` + boundary + `,"VersionId":"v2","IsDefaultVersion":true}]}`
	}
	return `{"UserDetailList":[],"GroupDetailList":[],"RoleDetailList":[{"RoleName":"agent","Arn":"arn:aws:iam::` + account +
		`:role/service-role/agent","RolePolicyList":[` + strings.Join(inline, ",") + `],"AttachedManagedPolicies":[]` + b + `}],"Policies":[` + policies + `]}`
}

func parse(t *testing.T, doc string) *snapshot.Snapshot {
	t.Helper()
	s, err := aws.NewParser(nil).Parse("auth.json", []byte(doc))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return s
}

// permissions returns the distinct permissions of the snapshot's grants.
func permissions(s *snapshot.Snapshot) []string {
	var out []string
	for _, g := range s.Grants {
		if len(out) == 0 || out[len(out)-1] != g.Permission {
			out = append(out, g.Permission)
		}
	}
	return out
}

func catalogActions(t *testing.T, pattern string) []string {
	t.Helper()
	var out []string
	for _, a := range aws.DefaultCatalog().Match(pattern) {
		out = append(out, a.String())
	}
	slices.Sort(out)
	return out
}

func without(all, drop []string) []string {
	d := map[string]bool{}
	for _, x := range drop {
		d[x] = true
	}
	var out []string
	for _, x := range all {
		if !d[x] {
			out = append(out, x)
		}
	}
	return out
}

// TestEffectivePermissions shows wildcard and NotAction expansion, explicit
// denies and permission boundaries on policies written after AWS's policy
// grammar: each case's role holds exactly the expected actions.
func TestEffectivePermissions(t *testing.T) {
	all := catalogActions(t, "*")
	s3 := catalogActions(t, "s3:*")
	iam := catalogActions(t, "iam:*")
	s3Get := catalogActions(t, "s3:Get*")
	if len(s3Get) < 20 || !slices.Contains(s3Get, "s3:GetObject") || slices.Contains(s3Get, "s3:PutObject") {
		t.Fatalf("s3:Get* expands to %d actions: %v", len(s3Get), s3Get)
	}
	cases := []struct {
		name     string
		doc      string
		want     []string
		resource string // the resource of every grant, when set
	}{
		{"exact action", role("", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}`),
			[]string{"bedrock:InvokeModel"}, "*"},
		{"actions match without regard to case", role("", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["S3:getobject"],"Resource":"arn:aws:s3:::b/*"}}`),
			[]string{"s3:GetObject"}, "arn:aws:s3:::b/*"},
		{"trailing wildcard", role("", `{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`), s3Get, ""},
		{"inner wildcards", role("", `{"Statement":[{"Effect":"Allow","Action":"bedrock:Invoke?odel*","Resource":"*"}]}`),
			catalogActions(t, "bedrock:Invoke?odel*"), ""},
		{"service wildcard", role("", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`), s3, ""},
		{"everything", role("", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`), all, ""},
		{"NotAction allows every other action", role("", `{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`),
			without(all, iam), ""},
		{"explicit deny wins", role("", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}`),
			without(s3, catalogActions(t, "s3:Delete*")), ""},
		{"deny in another policy", role("", `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}`,
			`{"Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}`), []string{"s3:GetObject"}, ""},
		{"deny of the whole allowed resource", role("", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`),
			nil, ""},
		{"deny of part of the resource keeps the grant", role("", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::secret/*"}]}`),
			[]string{"s3:GetObject"}, "*"},
		{"conditional deny keeps the grant", role("", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`),
			[]string{"s3:GetObject"}, "*"},
		{"deny with NotAction", role("", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","NotAction":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}`),
			[]string{"s3:GetObject", "s3:ListBucket"}, "*"},
		{"deny with NotResource covers a named resource", role("", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"},{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::mine/*"}]}`),
			nil, ""},
		{"deny with NotResource leaves *", role("", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::mine/*"}]}`),
			[]string{"s3:GetObject"}, "*"},
		{"NotResource allow", role("", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","NotResource":["arn:aws:s3:::secret","arn:aws:s3:::secret/*"]}]}`),
			[]string{"s3:GetObject"}, "* except arn:aws:s3:::secret, arn:aws:s3:::secret/*"},
		{"boundary limits an administrator", role(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["bedrock:*","s3:GetObject"],"Resource":"*"}]}`,
			`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
			append(catalogActions(t, "bedrock:*"), "s3:GetObject"), ""},
		{"boundary deny", role(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`,
			`{"Statement":[{"Effect":"Allow","Action":["iam:PassRole","sts:AssumeRole"],"Resource":"*"}]}`),
			[]string{"sts:AssumeRole"}, ""},
		{"boundary allows nothing the policy grants", role(`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			`{"Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}`),
			nil, ""},
		{"URL-encoded document", role("", `"`+url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}`)+`"`),
			[]string{"bedrock:InvokeModel"}, "*"},
		{"document as a JSON string", role("", `"{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"bedrock:InvokeModel\",\"Resource\":\"*\"}}"`),
			[]string{"bedrock:InvokeModel"}, "*"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := parse(t, c.doc)
			if len(s.Problems) > 0 {
				t.Fatalf("problems: %v", s.Problems)
			}
			want := slices.Clone(c.want)
			slices.Sort(want)
			want = slices.Compact(want)
			got := permissions(s)
			if !slices.Equal(got, want) {
				t.Fatalf("got %d permissions, want %d\n got: %.400v\nwant: %.400v", len(got), len(want), got, want)
			}
			for _, g := range s.Grants {
				if g.IdentityID != "aws:"+account+":role/agent" {
					t.Fatalf("identity %q, want the role without its path", g.IdentityID)
				}
				if c.resource != "" && g.Resource != c.resource {
					t.Fatalf("%s on %q, want %q", g.Permission, g.Resource, c.resource)
				}
			}
			if len(s.Grants) > 0 && s.Scope != "aws:"+account {
				t.Fatalf("scope %q", s.Scope)
			}
		})
	}
}

// TestGrantDetails shows what each grant records: the attachment, the
// policy, the pattern it was granted as, its condition, access level and
// sensitive class.
func TestGrantDetails(t *testing.T) {
	doc := `{
  "UserDetailList": [{"UserName": "dana", "Arn": "arn:aws:iam::` + account + `:user/eng/dana", "GroupList": ["ml"],
    "UserPolicyList": [{"PolicyName": "own", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
      {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:secretsmanager:us-east-1:` + account + `:secret:prod/*",
       "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}]}}],
    "AttachedManagedPolicies": []}],
  "GroupDetailList": [{"GroupName": "ml", "Arn": "arn:aws:iam::` + account + `:group/ml", "GroupPolicyList": [],
    "AttachedManagedPolicies": [{"PolicyName": "ML", "PolicyArn": "arn:aws:iam::aws:policy/ML"}]}],
  "RoleDetailList": [],
  "Policies": [{"PolicyName": "ML", "Arn": "arn:aws:iam::aws:policy/ML", "DefaultVersionId": "v1",
    "PolicyVersionList": [{"Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:Attach*Policy"], "Resource": "*"}]},
      "VersionId": "v1", "IsDefaultVersion": true}]}]
}`
	s := parse(t, doc)
	if len(s.Problems) > 0 {
		t.Fatal(s.Problems)
	}
	want := []snapshot.Grant{
		{IdentityID: "aws:" + account + ":user/dana", Permission: "iam:AttachGroupPolicy", Resource: "*", GrantedVia: "group/ml",
			Policy: "arn:aws:iam::aws:policy/ML", GrantedAs: "iam:Attach*Policy", AccessLevel: "Permissions management", Sensitive: "iam_change"},
		{IdentityID: "aws:" + account + ":user/dana", Permission: "iam:AttachRolePolicy", Resource: "*", GrantedVia: "group/ml",
			Policy: "arn:aws:iam::aws:policy/ML", GrantedAs: "iam:Attach*Policy", AccessLevel: "Permissions management", Sensitive: "iam_change"},
		{IdentityID: "aws:" + account + ":user/dana", Permission: "iam:AttachUserPolicy", Resource: "*", GrantedVia: "group/ml",
			Policy: "arn:aws:iam::aws:policy/ML", GrantedAs: "iam:Attach*Policy", AccessLevel: "Permissions management", Sensitive: "iam_change"},
		{IdentityID: "aws:" + account + ":user/dana", Permission: "secretsmanager:GetSecretValue",
			Resource: "arn:aws:secretsmanager:us-east-1:" + account + ":secret:prod/*", GrantedVia: "user/dana", Policy: "inline:own",
			Condition: `{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}`, AccessLevel: "Read", Sensitive: "secret_access"},
	}
	if !slices.Equal(s.Grants, want) {
		got, _ := json.MarshalIndent(s.Grants, "", " ")
		t.Fatalf("grants:\n%s", got)
	}
}

// TestBadInput shows that a malformed policy document is reported with the
// file and JSON path and skipped while the rest of the snapshot is
// imported, and that actions the catalog does not know are listed, not
// guessed.
func TestBadInput(t *testing.T) {
	good := `{"Statement":[{"Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeBrandNewThing","newsvc:*"],"Resource":"*"}]}`
	cases := []struct {
		name, doc, path, cause string
	}{
		{"bad effect", `{"Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`,
			"$.RoleDetailList[0].RolePolicyList[1].PolicyDocument.Statement[0].Effect", `"allow" is neither Allow nor Deny`},
		{"no action", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`,
			"$.RoleDetailList[0].RolePolicyList[1].PolicyDocument.Statement[0]", "neither Action nor NotAction"},
		{"both action and not action", `{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}}`,
			"$.RoleDetailList[0].RolePolicyList[1].PolicyDocument.Statement", "both Action and NotAction"},
		{"action without service", `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","GetObject"],"Resource":"*"}]}`,
			"$.RoleDetailList[0].RolePolicyList[1].PolicyDocument.Statement[0].Action[1]", `"GetObject" is not * nor service:action`},
		{"resource not a string", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":7}]}`,
			"$.RoleDetailList[0].RolePolicyList[1].PolicyDocument.Statement[0].Resource", "not a string or a list of strings"},
		{"bad version", `{"Version":"2020-01-01","Statement":[]}`,
			"$.RoleDetailList[0].RolePolicyList[1].PolicyDocument.Version", `"2020-01-01" is not a policy language version`},
		{"not JSON", `"%7BStatement"`,
			"$.RoleDetailList[0].RolePolicyList[1].PolicyDocument", "not a JSON object"},
		{"no statement", `{"Version":"2012-10-17"}`,
			"$.RoleDetailList[0].RolePolicyList[1].PolicyDocument", "no Statement"},
		{"missing document", `null`,
			"$.RoleDetailList[0].RolePolicyList[1].PolicyDocument", "no policy document"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := parse(t, role("", good, c.doc))
			if len(s.Problems) != 1 {
				t.Fatalf("problems %v, want one", s.Problems)
			}
			p := s.Problems[0]
			if p.File != "auth.json" || p.Path != c.path || !strings.Contains(p.Cause, c.cause) {
				t.Fatalf("problem %q, want path %s and cause %q", p.Error(), c.path, c.cause)
			}
			// The good policy is imported; only what the catalog knows.
			if got := permissions(s); !slices.Equal(got, []string{"bedrock:InvokeModel"}) {
				t.Fatalf("permissions %v", got)
			}
			var unknown []string
			for _, u := range s.Unknown {
				unknown = append(unknown, u.What)
			}
			if !slices.Equal(unknown, []string{"bedrock:InvokeBrandNewThing", "newsvc:*"}) {
				t.Fatalf("unknown %v", s.Unknown)
			}
		})
	}
}

// TestDanglingReferences shows that a policy or group a principal names
// but the file lacks is reported, and the rest of the principal imported.
func TestDanglingReferences(t *testing.T) {
	doc := `{"UserDetailList":[{"UserName":"u","Arn":"arn:aws:iam::` + account + `:user/u","GroupList":["missing"],
  "UserPolicyList":[{"PolicyName":"p","PolicyDocument":{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}}],
  "AttachedManagedPolicies":[{"PolicyName":"gone","PolicyArn":"arn:aws:iam::aws:policy/gone"}],
  "PermissionsBoundary":{"PermissionsBoundaryArn":"arn:aws:iam::` + account + `:policy/nobound"}}],
  "GroupDetailList":[],"RoleDetailList":[],"Policies":[]}`
	s := parse(t, doc)
	var got []string
	for _, p := range s.Problems {
		got = append(got, p.Error())
	}
	want := []string{
		"auth.json: $.UserDetailList[0].AttachedManagedPolicies[0]: managed policy arn:aws:iam::aws:policy/gone is not in Policies: its permissions are not counted",
		`auth.json: $.UserDetailList[0].GroupList[0]: group "missing" is not in GroupDetailList: its policies are not counted`,
		"auth.json: $.UserDetailList[0].PermissionsBoundary: permission boundary arn:aws:iam::" + account + ":policy/nobound has no usable document in Policies: it is not applied",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("problems:\n%s", strings.Join(got, "\n"))
	}
	if p := permissions(s); !slices.Equal(p, []string{"s3:ListBucket"}) {
		t.Fatalf("permissions %v", p)
	}
}

func TestNotAuthorizationDetails(t *testing.T) {
	_, err := aws.NewParser(nil).Parse("x.json", []byte("{\n  \"UserDetailList\": 7\n}"))
	if err == nil || !strings.Contains(err.Error(), "x.json") || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err %v, want the file and line", err)
	}
}

// TestFixtureAccount imports the fixture account export and checks what
// the three representative identities hold.
func TestFixtureAccount(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "account.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !aws.Detect(data) {
		t.Fatal("the fixture is not detected as authorization details")
	}
	s, err := aws.NewParser(nil).Parse("account.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Problems) > 0 {
		t.Fatal(s.Problems)
	}
	count := map[string]int{}
	for _, g := range s.Grants {
		count[g.IdentityID]++
	}
	sm := len(catalogActions(t, "sagemaker:*"))
	for id, want := range map[string]int{
		"aws:123456789012:role/bedrock-support-agent": len(catalogActions(t, "bedrock:*")) + len(catalogActions(t, "s3:*")) + 2,
		"aws:123456789012:role/ml-engineers":          sm + 1,
		"aws:123456789012:user/dana.lee":              3,
	} {
		if count[id] != want {
			t.Errorf("%s holds %d grants, want %d", id, count[id], want)
		}
	}
}
