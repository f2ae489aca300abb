package clickhouse_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// fev is a fixture event: the columns the ready queries read.
type fev struct {
	id, identity, kind, class, account, accountType, email  string
	action, service, verb, category, targetType, targetName string
	env, targetTenant, outcome, errorCode, country          string
	aiProvider, aiService, aiModel, status                  string
	identityEnv, credential, sensitivity                    string
	asn                                                     int
	bytesOut, tokens                                        int64
	registered                                              bool
	at                                                      time.Time
	findings                                                [][3]string // type, count, confidence
	features                                                map[string]float64
}

func sqlTime(t time.Time) string { return "'" + t.UTC().Format("2006-01-02 15:04:05.000") + "'" }

func (e fev) values() string {
	outcome := e.outcome
	if outcome == "" {
		outcome = "success"
	}
	var ft, fc, fconf, feats []string
	for _, f := range e.findings {
		ft, fc, fconf = append(ft, "'"+f[0]+"'"), append(fc, f[1]), append(fconf, f[2])
	}
	for k, v := range e.features {
		feats = append(feats, fmt.Sprintf("'%s', %g", k, v))
	}
	return fmt.Sprintf("('%s', %s, %s, 'aws.cloudtrail', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', %d, '%s', %d, %d, '%s', '%s', '%s', '%s', %v, [%s], [%s], [%s], map(%s), '%s', '%s', '%s', '%s')",
		e.id, sqlTime(e.at), sqlTime(e.at), e.identity, e.kind, e.account, e.accountType, e.email,
		e.action, e.service, e.verb, e.category, e.targetType, e.targetName, e.env, e.targetTenant,
		outcome, e.errorCode, e.country, e.asn, "", e.bytesOut, e.tokens, e.aiProvider, e.aiService, e.aiModel,
		e.status, e.registered, strings.Join(ft, ","), strings.Join(fc, ","), strings.Join(fconf, ","), strings.Join(feats, ","), e.class,
		e.identityEnv, e.credential, e.sensitivity)
}

const fevColumns = `(event_id, time, observed_time, product, identity_id, identity_kind, identity_account,
	identity_account_type, identity_email, action_name, action_service, verb, category, target_type,
	target_name, target_environment, target_tenant, outcome, error_code, country, asn, as_org, bytes_out,
	tokens_out, ai_provider, ai_service, ai_model, ai_service_status, registered,
	findings.type, findings.count, findings.confidence, features, identity_class,
	environment, credential_id, data_sensitivity)`

// readyFixture fills db with a small world whose answers the test knows.
func readyFixture(t *testing.T, conn driver.Conn, db string) {
	now := time.Now().UTC().Truncate(time.Second)
	base := now.Add(-time.Hour)
	today := now.Truncate(24 * time.Hour)

	alice := fev{identity: "alice", kind: "human", class: "ai_user", email: "alice@example.com", registered: true, category: "model_inference", verb: "invoke", at: base}
	bob := fev{identity: "bob", kind: "human", class: "ai_user", email: "bob@example.com", category: "model_inference", verb: "invoke", at: base}
	agent := fev{identity: "agent1", kind: "agent", class: "ai_agent", account: "111", accountType: "corporate", at: base}
	svc := fev{identity: "svc1", kind: "service", class: "service", account: "111", service: "iam.amazonaws.com", category: "iam_change", verb: "create", at: base}
	carol := fev{identity: "carol", kind: "human", class: "ai_builder", registered: true, category: "model_management", service: "sagemaker.amazonaws.com", targetType: "model", env: "prod", at: base}
	dora := fev{identity: "dora", kind: "human", class: "human", registered: true, category: "data_access", service: "s3.amazonaws.com", action: "GetObject", verb: "read"}

	with := func(e fev, f func(*fev)) string { f(&e); return e.values() }
	events := []string{
		with(alice, func(e *fev) {
			e.id, e.accountType, e.aiProvider, e.aiService, e.aiModel, e.status = "a1", "corporate", "openai", "chatgpt", "gpt-4o", "sanctioned"
			e.tokens, e.findings = 100, [][3]string{{"credit_card", "2", "0.9"}}
		}),
		with(alice, func(e *fev) {
			e.id, e.accountType, e.aiProvider, e.aiService, e.status = "a2", "personal", "anthropic", "claude", "shadow"
			e.findings = [][3]string{{"email", "3", "0.4"}}
		}),
		with(bob, func(e *fev) {
			e.id, e.accountType, e.aiProvider, e.aiService, e.aiModel, e.status = "b1", "personal", "openai", "chatgpt", "gpt-4o", "shadow"
			e.findings = [][3]string{{"credit_card", "1", "0.95"}}
		}),
		with(bob, func(e *fev) {
			e.id, e.accountType, e.aiProvider, e.aiService, e.status = "b2", "personal", "anthropic", "claude", "shadow"
			e.sensitivity = "confidential"
		}),
		with(agent, func(e *fev) {
			e.id, e.action, e.service, e.verb, e.category = "g1", "InvokeModel", "bedrock.amazonaws.com", "invoke", "model_inference"
			e.aiProvider, e.aiService, e.aiModel, e.tokens, e.asn, e.country = "aws.bedrock", "bedrock", "claude-3", 50000, 64500, "KP"
			e.credential = "AKIA1"
			e.features = map[string]float64{"is_new_asn": 1, "is_new_country": 1, "tokens_ratio.1h": 25}
		}),
		with(agent, func(e *fev) {
			e.id, e.action, e.service, e.verb, e.category = "g2", "InvokeModel", "bedrock.amazonaws.com", "invoke", "model_inference"
			e.aiProvider, e.aiService, e.aiModel, e.tokens, e.country = "aws.bedrock", "bedrock", "claude-3", 10, "BR"
			e.features = map[string]float64{"is_new_country": 1, "tokens_ratio.5m": 3}
		}),
		with(agent, func(e *fev) {
			e.id, e.action, e.service, e.verb, e.category = "g3", "GetObject", "s3.amazonaws.com", "read", "data_access"
		}),
		with(agent, func(e *fev) {
			e.id, e.action, e.service, e.verb, e.category, e.outcome, e.errorCode = "g4", "PutObject", "s3.amazonaws.com", "update", "data_access", "failure", "AccessDenied"
		}),
		with(svc, func(e *fev) {
			e.id, e.action, e.targetType, e.targetName, e.env, e.targetTenant = "s1", "CreateUser", "iam_user", "deploy-bot", "prod", "222"
			e.credential = "AKIA1" // the agent's key: a shared credential
		}),
		with(svc, func(e *fev) {
			e.id, e.action, e.targetType, e.targetName, e.env, e.targetTenant = "s2", "CreateRole", "iam_role", "dev-role", "dev", "222"
		}),
		with(svc, func(e *fev) {
			e.id, e.action, e.verb, e.targetType, e.targetName, e.env, e.targetTenant = "s3", "UpdateUser", "update", "iam_user", "deploy-bot", "prod", "111"
		}),
	}
	for i := range 3 {
		events = append(events, with(svc, func(e *fev) {
			e.id, e.action, e.service, e.verb, e.category = fmt.Sprintf("sf%d", i), "GetObject", "s3.amazonaws.com", "read", "data_access"
			e.outcome, e.errorCode, e.targetTenant = "failure", "NoSuchBucket", "111"
		}))
	}
	events = append(events,
		with(carol, func(e *fev) {
			e.id, e.action, e.verb, e.targetName = "c1", "UpdateModel", "update", "fraud-model"
			e.identityEnv = "dev" // a dev identity changing a prod model
			e.features = map[string]float64{"after_hours": 1, "bytes_ratio.1h": 12}
		}),
		with(carol, func(e *fev) {
			e.id, e.action, e.verb, e.targetName = "c2", "DescribeModel", "read", "fraud-model"
			e.features = map[string]float64{"after_hours": 1, "bytes_ratio.1d": 9}
		}),
		with(carol, func(e *fev) { e.id, e.action, e.verb, e.targetName = "c3", "DeleteModel", "delete", "old-model" }),
	)
	for d := 2; d <= 5; d++ {
		events = append(events, with(dora, func(e *fev) {
			e.id, e.at, e.bytesOut = fmt.Sprintf("d%d", d), today.Add(-time.Duration(d)*24*time.Hour+time.Hour), 100
		}))
	}
	events = append(events, with(dora, func(e *fev) { e.id, e.at, e.bytesOut = "d0", today.Add(time.Second), 5000 }))

	insert := func(sql string) { exec(t, conn, "INSERT INTO "+db+"."+sql) }
	insert("events " + fevColumns + " VALUES " + strings.Join(events, ",\n"))
	// A redelivery of a2 after a crash: stored twice until merged.
	insert("events " + fevColumns + " VALUES " + with(alice, func(e *fev) {
		e.id, e.accountType, e.aiProvider, e.aiService, e.status = "a2", "personal", "anthropic", "claude", "shadow"
		e.findings = [][3]string{{"email", "3", "0.4"}}
	}))

	ident := func(id, kind, class, accountType, owner string, registered bool, updated time.Time) string {
		return fmt.Sprintf("('%s', '%s', '%s', '%s', '%s', %v, %s)", id, kind, class, accountType, owner, registered, sqlTime(updated))
	}
	const identCols = "identities (identity_id, kind, class, account_type, owner, registered, updated_at) VALUES "
	insert(identCols + strings.Join([]string{
		ident("alice", "human", "ai_user", "personal", "alice", true, base),
		ident("bob", "human", "ai_user", "personal", "bob", false, base),
		ident("carol", "human", "ai_builder", "corporate", "carol", true, base),
		ident("agent1", "agent", "ai_agent", "corporate", "", false, base),
		ident("svc1", "service", "service", "corporate", "ops", true, base),
	}, ","))
	insert(identCols + ident("alice", "human", "ai_builder", "personal", "alice", true, now))

	grant := func(id, perm string, snap time.Time) string {
		return fmt.Sprintf("(%s, '%s', 'aws', '%s', '*', 'role/x', 'policy/x')", sqlTime(snap), id, perm)
	}
	var grants []string
	for _, p := range []string{"bedrock:InvokeModel", "s3:*", "iam:CreateUser", "secretsmanager:GetSecretValue"} {
		grants = append(grants, grant("agent1", p, base))
	}
	grants = append(grants, grant("agent1", "ec2:RunInstances", base.Add(-48*time.Hour)))
	for _, p := range []string{"iam:CreateUser", "iam:DeleteUser", "sts:AssumeRole"} {
		grants = append(grants, grant("svc1", p, base))
	}
	insert("permission_grants (snapshot_time, identity_id, provider, permission, resource, granted_via, policy) VALUES " + strings.Join(grants, ","))

	alert := func(id, rule, severity string, sevID int, identity string, at, updated time.Time) string {
		return fmt.Sprintf("('%s', %s, %s, '%s', 'Rule %s', '%s', %d, '%s')", id, sqlTime(at), sqlTime(updated), rule, rule, severity, sevID, identity)
	}
	const alertCols = "alerts (alert_id, time, updated_at, rule_id, rule_name, severity, severity_id, identity_id) VALUES "
	insert(alertCols + strings.Join([]string{
		alert("A1", "r.shadow", "High", 4, "bob", base.Add(-time.Hour), base.Add(-time.Hour)),
		alert("A2", "r.shadow", "High", 4, "alice", base.Add(-2*time.Hour), base.Add(-2*time.Hour)),
		alert("A3", "r.llm", "Critical", 5, "agent1", base.Add(-3*time.Hour), base.Add(-3*time.Hour)),
		alert("A4", "r.llm", "Critical", 5, "agent1", base.Add(-40*24*time.Hour), base.Add(-40*24*time.Hour)),
	}, ","))
	insert(alertCols + alert("A2", "r.shadow", "High", 4, "alice", base.Add(-2*time.Hour), base)) // a later version

	action := func(id, alertID, status string, dryRun bool, requested, completed, updated time.Time) string {
		return fmt.Sprintf("('%s', '%s', 'x', 'aws', 'disable_account', 'x', '%s', %v, %s, %s, %s)", id, alertID, status, dryRun, sqlTime(requested), sqlTime(completed), sqlTime(updated))
	}
	const actionCols = "response_actions (action_id, alert_id, identity_id, connector, action, target, status, dry_run, requested_at, completed_at, updated_at) VALUES "
	a1, a2, a3 := base.Add(-time.Hour), base.Add(-2*time.Hour), base.Add(-3*time.Hour)
	insert(actionCols + strings.Join([]string{
		action("x1", "A1", "succeeded", false, a1, a1.Add(60*time.Second), a1.Add(60*time.Second)),
		action("x2", "A1", "failed", false, a1, a1.Add(120*time.Second), a1.Add(120*time.Second)),
		action("x3", "A3", "pending", false, a3, time.Unix(0, 0), a3),
		action("x4", "A2", "succeeded", true, a2, a2.Add(10*time.Second), a2.Add(10*time.Second)),
	}, ","))
	insert(actionCols + action("x3", "A3", "succeeded", false, a3, a3.Add(180*time.Second), a3.Add(180*time.Second)))

	verdict := func(alertID, disposition string, at time.Time) string {
		return fmt.Sprintf("('%s', '%s', 'ann', %s)", alertID, disposition, sqlTime(at))
	}
	const verdictCols = "alert_dispositions (alert_id, disposition, analyst, time) VALUES "
	insert(verdictCols + strings.Join([]string{
		verdict("A1", "false_positive", base),
		verdict("A2", "true_positive", base),
		verdict("A3", "benign", base),
		verdict("A4", "true_positive", base),
	}, ","))
	insert(verdictCols + verdict("A2", "false_positive", now))

	// Two rightsizing runs: the ready queries read the latest.
	rightsized := func(run time.Time, id, class string, priority, granted, used, sensG, sensU, removable, events int, days float64, trusted bool, why string) string {
		share := 0.0
		if granted > 0 {
			share = float64(int(float64(granted-used)/float64(granted)*1000+0.5)) / 1000
		}
		return fmt.Sprintf("(%s, '%s', 'aws', '%s', %d, %d, %d, %d, %g, %d, %d, %d, %d, %g, %v, '%s', 'policy-%s')",
			sqlTime(run), id, class, priority, granted, used, granted-used, share, sensG, sensU, removable, events, days, trusted, why, id)
	}
	const rightsizeCols = "rightsize_identities (run_time, identity_id, provider, class, priority, granted, used, unused, unused_share, " +
		"sensitive_granted, sensitive_unused, removable, events, observed_days, trusted, untrusted_reason, recommendation) VALUES "
	oldRun := base.Add(-48 * time.Hour)
	insert(rightsizeCols + strings.Join([]string{
		rightsized(oldRun, "agent1", "ai_agent", 1, 10, 1, 2, 2, 9, 500, 60, true, ""),
		rightsized(base, "agent1", "ai_agent", 1, 5, 2, 2, 1, 3, 200, 45, true, ""),
		rightsized(base, "carol", "ai_builder", 2, 4, 1, 1, 1, 0, 10, 5, false, "observed 5.0 days, fewer than 30"),
		rightsized(base, "bob", "ai_user", 3, 2, 2, 0, 0, 0, 150, 40, true, ""),
		rightsized(base, "svc1", "service", 4, 3, 1, 2, 1, 2, 100, 60, true, ""),
	}, ","))
	perm := func(run time.Time, id, permission string, used bool, uses int, last time.Time, sensitive, policy string) string {
		return fmt.Sprintf("(%s, '%s', 'aws', '%s', true, %v, %d, %s, '%s', %v, ['*'], ['%s'])",
			sqlTime(run), id, permission, used, uses, sqlTime(last), sensitive, used, policy)
	}
	never := time.Unix(0, 0)
	const permCols = "rightsize_permissions (run_time, identity_id, provider, permission, granted, used, uses, last_used, sensitive, kept, granted_resources, policies) VALUES "
	insert(permCols + strings.Join([]string{
		perm(oldRun, "agent1", "kms:Decrypt", false, 0, never, "secret_access", "inline:x"),
		perm(base, "agent1", "s3:GetObject", true, 10, base.Add(-time.Hour), "", "inline:x"),
		perm(base, "agent1", "bedrock:InvokeModel", true, 5, base.Add(-2*time.Hour), "", "inline:x"),
		perm(base, "agent1", "iam:CreateUser", false, 0, never, "iam_change", "inline:x"),
		perm(base, "agent1", "sagemaker:DeleteModel", false, 0, never, "data_deletion", "inline:x"),
		perm(base, "agent1", "ec2:RunInstances", false, 0, never, "", "inline:x"),
		perm(base, "carol", "secretsmanager:GetSecretValue", false, 0, never, "secret_access", "arn:aws:iam::aws:policy/SecretsManagerReadWrite"),
		perm(base, "svc1", "iam:DeleteUser", false, 0, never, "iam_change", "inline:y"),
	}, ","))
}

func TestReadyQueries(t *testing.T) {
	qs := clickhouse.Queries()
	if len(qs) < 15 {
		t.Fatalf("%d ready queries, want at least 15", len(qs))
	}
	_, db := migrated(t)
	conn, err := clickhouse.Connect(dsn(t) + "/" + db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	readyFixture(t, conn, db)

	want := map[string][]string{
		"ai_services_by_identity": {
			"agent1 corporate aws.bedrock bedrock 2 [claude-3]",
			"alice corporate openai chatgpt 1 [gpt-4o]",
			"alice personal anthropic claude 1 []",
			"bob personal openai chatgpt 1 [gpt-4o]",
			"bob personal anthropic claude 1 []",
		},
		"shadow_ai_by_user": {
			"bob bob@example.com [personal] [chatgpt claude] 2",
			"alice alice@example.com [personal] [claude] 1",
		},
		"unregistered_ai_identities": {
			"agent1 ai_agent agent [bedrock] [claude-3] 2",
			"bob ai_user human [chatgpt claude] [gpt-4o] 2",
		},
		"permission_excess": {
			"agent1 agent ai_agent 4 2 2 0.5 2 [iam:CreateUser secretsmanager:GetSecretValue]",
			"svc1 service service 3 1 2 0.667 3 [iam:DeleteUser sts:AssumeRole]",
		},
		"volume_spikes_by_features": {"agent1 1 25", "carol 1 12"},
		"daily_volume_spikes": {
			"dora " + fmt.Sprint(time.Now().UTC().Truncate(24*time.Hour)) + " 5000 100 50 4",
		},
		"after_hours_model_changes":       {"carol ai_builder UpdateModel update model fraud-model prod success"},
		"new_principals_with_prod_access": {"svc1 CreateUser iam_user deploy-bot"},
		"alerts_by_rule_severity": {
			"r.llm Rule r.llm Critical 5 1 1",
			"r.shadow Rule r.shadow High 4 2 2",
		},
		"time_to_respond": {
			"Critical 1 180 180",
			"High 1 60 60",
			"all 2 120 180",
		},
		"false_positive_rate_by_rule": {
			"r.shadow Rule r.shadow 2 2 0 0 1",
			"r.llm Rule r.llm 2 0 1 1 0",
		},
		"top_failing_identities": {
			"svc1 3 1 [NoSuchBucket]",
			"agent1 1 1 [AccessDenied]",
		},
		"cross_tenant_activity": {"svc1 111 222 2 2 [CreateRole CreateUser]"},
		"llmjacking_signs":      {"agent1 2 1 2 1 25 50010 [64500] [BR KP] [claude-3]"},
		"sensitive_findings_by_type_user": {
			"alice email 3 1 [claude]",
			"alice credit_card 2 1 [chatgpt]",
			"bob credit_card 1 1 [chatgpt]",
		},
		"identities_by_class": {
			"ai_builder 2 2 0 0 1 0 0",
			"ai_agent 1 0 0 1 0 1 1",
			"ai_user 1 1 0 0 1 1 0",
			"service 1 0 1 0 0 0 0",
		},
		"observed_inventory": {
			"agent1 ai_agent agent corporate [bedrock] [] [] 2 4",
			"alice ai_builder human personal [chatgpt claude] [claude] [claude] 2 2",
			"carol ai_builder human corporate [] [] [] 0 3",
			"bob ai_user human personal [chatgpt claude] [chatgpt claude] [chatgpt claude] 2 2",
			"dora human human unknown [] [] [] 0 5",
			"svc1 service service corporate [] [] [] 0 6",
		},
		"shadow_ai_by_service": {
			"claude [anthropic] 2 2 2",
			"chatgpt [openai] 1 1 1",
		},
		"personal_accounts_sensitive_data": {
			"bob ai_user confidential [credit_card] 1 [chatgpt claude] [] 2",
			"alice ai_builder  [email] 3 [claude] [] 1",
		},
		"dev_identities_reaching_prod": {"carol ai_builder [dev] [fraud-model] [fraud-model] 1 1 0"},
		"shared_credential_agents":     {"agent1 ai_agent false [AKIA1] [svc1] 4"},
		"rightsize_identities": {
			"1 agent1 ai_agent aws 5 2 3 0.6 1 3 true",
			"2 carol ai_builder aws 4 1 3 0.75 1 0 false",
			"3 bob ai_user aws 2 2 0 0 0 0 true",
			"4 svc1 service aws 3 1 2 0.667 1 2 true",
		},
		"rightsize_reduction_by_class": {
			"ai_agent 1 1 5 2 3 0.6 2 1 3 0.6 0.5",
			"ai_builder 1 0 4 1 3 0.75 1 1 0 0 0",
			"ai_user 1 1 2 2 0 0 0 0 0 0 0",
			"service 1 1 3 1 2 0.667 2 1 2 0.667 0.5",
			"ai 3 2 11 5 6 0.545 3 2 3 0.273 0.333",
			"all 4 3 14 6 8 0.571 5 3 5 0.357 0.4",
		},
		"rightsize_sensitive_unused": {
			"agent1 ai_agent data_deletion sagemaker:DeleteModel true [inline:x]",
			"agent1 ai_agent iam_change iam:CreateUser true [inline:x]",
			"carol ai_builder secret_access secretsmanager:GetSecretValue false [arn:aws:iam::aws:policy/SecretsManagerReadWrite]",
			"svc1 service iam_change iam:DeleteUser true [inline:y]",
		},
		"permission_last_use": {
			"agent1 s3:GetObject true 10 true",
			"agent1 bedrock:InvokeModel true 5 true",
			"agent1 ec2:RunInstances false 0 false",
			"agent1 iam:CreateUser false 0 false",
			"agent1 sagemaker:DeleteModel false 0 false",
			"carol secretsmanager:GetSecretValue false 0 false",
			"svc1 iam:DeleteUser false 0 false",
		},
		"broad_permission_agents": {
			"agent1 ai_agent 4 2 0.5 [s3:*] [iam:CreateUser secretsmanager:GetSecretValue]",
		},
	}
	// cols picks, for each query, the columns the expected rows show.
	cols := map[string][]int{
		"ai_services_by_identity":          {0, 1, 2, 3, 4, 5},
		"shadow_ai_by_user":                {0, 1, 2, 3, 4},
		"unregistered_ai_identities":       {0, 1, 2, 3, 4, 5},
		"permission_excess":                {0, 1, 2, 3, 4, 5, 6, 7, 8},
		"volume_spikes_by_features":        {0, 1, 2},
		"daily_volume_spikes":              {0, 1, 2, 3, 4, 5},
		"after_hours_model_changes":        {1, 2, 3, 4, 5, 6, 7, 8},
		"new_principals_with_prod_access":  {1, 2, 3, 4},
		"alerts_by_rule_severity":          {0, 1, 2, 3, 4, 5},
		"time_to_respond":                  {0, 1, 2, 3},
		"false_positive_rate_by_rule":      {0, 1, 2, 3, 4, 5, 6},
		"top_failing_identities":           {0, 1, 2, 3},
		"cross_tenant_activity":            {0, 1, 2, 3, 4, 5},
		"llmjacking_signs":                 {0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		"sensitive_findings_by_type_user":  {0, 1, 2, 3, 4},
		"identities_by_class":              {0, 1, 2, 3, 4, 5, 6, 7},
		"observed_inventory":               {0, 1, 2, 3, 10, 11, 12, 13, 20},
		"shadow_ai_by_service":             {0, 1, 2, 3, 4},
		"personal_accounts_sensitive_data": {0, 1, 2, 3, 4, 5, 6, 7},
		"dev_identities_reaching_prod":     {0, 1, 2, 3, 4, 5, 6, 7},
		"shared_credential_agents":         {0, 1, 2, 3, 4, 5},
		"broad_permission_agents":          {0, 1, 2, 3, 4, 5, 6},
		"rightsize_identities":             {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12},
		"rightsize_reduction_by_class":     {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
		"rightsize_sensitive_unused":       {0, 1, 2, 3, 5, 7},
		"permission_last_use":              {0, 1, 2, 3, 6},
	}
	for _, q := range qs {
		t.Run(q.Name, func(t *testing.T) {
			exp, ok := want[q.Name]
			if !ok {
				t.Fatalf("no expected rows for %s", q.Name)
			}
			params, err := q.Parameters(nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx := ch.Context(context.Background(), ch.WithParameters(params))
			rows := queryContext(ctx, t, conn, q.SQL)
			var got []string
			for _, r := range rows {
				var picked []string
				for _, c := range cols[q.Name] {
					picked = append(picked, r[c])
				}
				got = append(got, strings.Join(picked, " "))
			}
			if strings.Join(got, "\n") != strings.Join(exp, "\n") {
				t.Errorf("%s:\n got:\n%s\nwant:\n%s", q.Name, strings.Join(got, "\n"), strings.Join(exp, "\n"))
			}
		})
	}
}

// TestAnalystsDocListsTheReadyQueries keeps the Ready queries section of
// docs/analysts.md true: every query with its question.
func TestAnalystsDocListsTheReadyQueries(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "analysts.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Ready queries\n")
	if !ok {
		t.Fatal("docs/analysts.md has no Ready queries section")
	}
	for _, q := range clickhouse.Queries() {
		if !strings.Contains(section, "- `"+q.Name+"`: "+q.Question) {
			t.Errorf("docs/analysts.md does not list %s with its question %q", q.Name, q.Question)
		}
		for _, p := range q.Params {
			if !strings.Contains(section, fmt.Sprintf("`%s` (%s, default `%s`)", p.Name, p.Type, p.Default)) {
				t.Errorf("docs/analysts.md does not list parameter %s of %s with its default", p.Name, q.Name)
			}
		}
	}
}

func TestQueryParameters(t *testing.T) {
	q, ok := clickhouse.LookupQuery("daily_volume_spikes")
	if !ok {
		t.Fatal("daily_volume_spikes not found")
	}
	p, err := q.Parameters(map[string]string{"min_ratio": "3"})
	if err != nil || p["min_ratio"] != "3" || p["baseline_days"] != "28" {
		t.Fatalf("Parameters = %v, %v", p, err)
	}
	if _, err := q.Parameters(map[string]string{"nope": "1"}); err == nil {
		t.Fatal("an unknown parameter was accepted")
	}
	if _, ok := clickhouse.LookupQuery("nope"); ok {
		t.Fatal("LookupQuery found a query that does not exist")
	}
}

// queryContext is query with a context, for the query's parameters.
func queryContext(ctx context.Context, t *testing.T, conn driver.Conn, sql string) [][]string {
	t.Helper()
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer rows.Close()
	var out [][]string
	types := rows.ColumnTypes()
	for rows.Next() {
		vals := make([]any, len(types))
		for i, ct := range types {
			vals[i] = newValue(ct.ScanType())
		}
		if err := rows.Scan(vals...); err != nil {
			t.Fatalf("scan: %v", err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = fmt.Sprint(deref(v))
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
