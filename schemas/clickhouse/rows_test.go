package clickhouse_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// Insert writes the rows of the tables other stages feed, once per token,
// and refuses a row that cannot be stored, naming it.
func TestInsert(t *testing.T) {
	conn, db := migrated(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	actions := []clickhouse.ResponseAction{
		{ActionID: "a1", AlertID: "x", IdentityID: "aws:1:role/agent", Connector: "aws", Action: "revoke_sessions",
			Status: "pending", RequestedAt: now, UpdatedAt: now},
		{ActionID: "a1", AlertID: "x", IdentityID: "aws:1:role/agent", Connector: "aws", Action: "revoke_sessions",
			Status: "succeeded", RequestedAt: now, CompletedAt: now.Add(250 * time.Millisecond), DurationMS: 250, UpdatedAt: now.Add(time.Second)},
	}
	for range 2 { // the second insert is a retry: dropped
		if err := clickhouse.Insert(ctx, conn, db, "actions-1", actions); err != nil {
			t.Fatal(err)
		}
	}
	if got := query(t, conn, "SELECT count(), argMax(status, updated_at) FROM "+db+".response_actions"); got[0][0] != "2" || got[0][1] != "succeeded" {
		t.Errorf("response_actions: %v, want 2 versions, the last succeeded", got)
	}
	if got := query(t, conn, "SELECT status, duration_ms FROM "+db+".response_actions FINAL"); len(got) != 1 || got[0][0] != "succeeded" || got[0][1] != "250" {
		t.Errorf("response_actions FINAL: %v, want the succeeded version", got)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(clickhouse.Insert(ctx, conn, db, "", []clickhouse.PermissionGrant{
		{SnapshotTime: now, IdentityID: "aws:1:role/agent", Provider: "aws", Permission: "bedrock:InvokeModel", Resource: "*", Policy: "AgentPolicy"},
		{SnapshotTime: now, IdentityID: "aws:1:role/agent", Provider: "aws", Permission: "s3:GetObject", Resource: "*", Policy: "AgentPolicy"},
	}))
	must(clickhouse.Insert(ctx, conn, db, "", []clickhouse.BaselineSnapshot{
		{IdentityID: "aws:1:role/agent", SnapshotTime: now, Metric: "tokens", Horizon: "1h", Mean: 2275, Variance: 1e4, Samples: 400, HourOfWeek: make([]float32, 168)},
	}))
	must(clickhouse.Insert(ctx, conn, db, "", []clickhouse.AlertDisposition{
		{AlertID: "x", Disposition: clickhouse.DispositionFalsePositive, Analyst: "sam", Time: now},
	}))
	must(clickhouse.Insert(ctx, conn, db, "", []clickhouse.ResponseTime{
		{AlertID: "x", RuleID: "aitdr-agent-token-spike", IdentityID: "aws:1:role/agent", IdentityClass: "ai_agent", Severity: "high",
			Playbook: "contain-agent", FirstEvidenceAt: now.Add(-time.Minute), AlertAt: now, ContainedAt: now.Add(time.Second),
			TimeToRespondMS: 61000, Actions: 2, UpdatedAt: now.Add(time.Second)},
	}))
	for table, want := range map[string]int64{"permission_grants": 2, "baseline_snapshots": 1, "alert_dispositions": 1, "response_times": 1} {
		if n := queryInt(t, conn, "SELECT count() FROM "+db+"."+table); n != want {
			t.Errorf("%s holds %d rows, want %d", table, n, want)
		}
	}
	err := clickhouse.Insert(ctx, conn, db, "", []clickhouse.AlertDisposition{{AlertID: "x", Disposition: "maybe", Time: now}})
	if err == nil || !strings.Contains(err.Error(), `row 0: disposition "maybe"`) {
		t.Errorf("Insert of a bad disposition = %v, want an error naming row 0", err)
	}
}

func TestSinkConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  clickhouse.SinkConfig
		want []string
	}{
		{"zero", clickhouse.SinkConfig{}, nil},
		{"problems", clickhouse.SinkConfig{
			Database: "a.b", AlertsTopic: "aitdr.scored", InsertTimeout: -1, RetryMin: time.Minute, RetryMax: time.Second, MaxInsertBytes: -2,
		}, []string{`database: "a.b"`, `alerts_topic: "aitdr.scored" is also events_topic`, "insert_timeout: -1ns is negative",
			"retry_max: 1s is less than retry_min 1m0s", "max_insert_bytes: -2 is negative"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != (len(tc.want) == 0) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
	if got := (clickhouse.SinkConfig{}).Topics(); strings.Join(got, ",") != "aitdr.scored,aitdr.alerts,aitdr.identities.changelog" {
		t.Errorf("Topics() = %v", got)
	}
}
