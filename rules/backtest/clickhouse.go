package backtest

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/aitdr/aitdr/schemas"
	"github.com/aitdr/aitdr/schemas/clickhouse"
)

// LoadHistory returns the analysts' verdicts on each rule's alerts
// created within the last days (the ready query
// false_positive_rate_by_rule: the latest verdict per alert).
func LoadHistory(ctx context.Context, conn driver.Conn, days int) (map[string]History, error) {
	q, ok := clickhouse.LookupQuery("false_positive_rate_by_rule")
	if !ok {
		return nil, fmt.Errorf("load false-positive history: ready query false_positive_rate_by_rule is missing")
	}
	params, err := q.Parameters(map[string]string{"days": strconv.Itoa(days)})
	if err != nil {
		return nil, fmt.Errorf("load false-positive history: %w", err)
	}
	rows, err := conn.Query(ch.Context(ctx, ch.WithParameters(params)), q.SQL)
	if err != nil {
		return nil, fmt.Errorf("load false-positive history: %w", err)
	}
	defer rows.Close()
	out := map[string]History{}
	types := rows.ColumnTypes()
	for rows.Next() {
		vals := make([]any, len(types))
		var rule string
		var judged, fps uint64
		for i, ct := range types {
			switch ct.Name() {
			case "rule_id":
				vals[i] = &rule
			case "judged":
				vals[i] = &judged
			case "false_positives":
				vals[i] = &fps
			default:
				// The driver scans a column only into its own Go type.
				vals[i] = reflect.New(ct.ScanType()).Interface()
			}
		}
		if err := rows.Scan(vals...); err != nil {
			return nil, fmt.Errorf("load false-positive history: %w", err)
		}
		out[rule] = History{Judged: int(judged), FalsePositives: int(fps)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load false-positive history: %w", err)
	}
	return out, nil
}

// eventColumns are the events columns a backtest reads, with where each
// goes in the event. The table keeps every field rules read; raw is left
// out (rules do not read it).
func eventColumns(e *schemas.Event, times *[3]time.Time, feats *map[string]float64, kind, acct, cred, verb, cat, env, sens, out, cls, ienv, dsens, aistat *string) []struct {
	name string
	dst  any
} {
	type c = struct {
		name string
		dst  any
	}
	return []c{
		{"event_id", &e.ID}, {"time", &times[0]}, {"observed_time", &times[1]},
		{"product", (*string)(&e.Source.Product)}, {"source_event_id", &e.Source.EventID},
		{"source_account", &e.Source.Account}, {"source_tenant", &e.Source.Tenant}, {"source_org", &e.Source.Org},
		{"source_project", &e.Source.Project}, {"region", &e.Source.Region},
		{"identity_id", &e.Identity.ID}, {"identity_kind", kind}, {"identity_provider", &e.Identity.Provider},
		{"identity_account", &e.Identity.Account}, {"identity_account_type", acct}, {"identity_type", &e.Identity.Type},
		{"identity_uid", &e.Identity.UID}, {"identity_name", &e.Identity.Name}, {"identity_display_name", &e.Identity.DisplayName},
		{"identity_email", &e.Identity.Email}, {"identity_owner", &e.Identity.Owner}, {"credential_id", &e.Identity.CredentialID},
		{"session_id", &e.Session.ID}, {"session_mfa", &e.Session.MFA}, {"session_issued_at", &times[2]},
		{"session_credential_type", cred}, {"session_issuer", &e.Session.Issuer},
		{"action_name", &e.Action.Name}, {"action_service", &e.Action.Service}, {"verb", verb}, {"category", cat},
		{"target_type", &e.Target.Type}, {"target_id", &e.Target.ID}, {"target_name", &e.Target.Name},
		{"target_environment", env}, {"target_sensitivity", sens}, {"target_tenant", &e.Target.Tenant},
		{"outcome", out}, {"error_code", &e.Error.Code}, {"error_message", &e.Error.Message},
		{"source_ip", &e.Network.SourceIP}, {"user_agent", &e.Network.UserAgent}, {"asn", &e.Network.ASN},
		{"as_org", &e.Network.ASOrg}, {"country", &e.Network.Country},
		{"bytes_in", &e.Volume.BytesIn}, {"bytes_out", &e.Volume.BytesOut}, {"records", &e.Volume.Records},
		{"tokens_in", &e.Volume.TokensIn}, {"tokens_out", &e.Volume.TokensOut},
		{"ai_provider", &e.AI.Provider}, {"ai_service", &e.AI.Service}, {"ai_model", &e.AI.Model}, {"ai_tool", &e.AI.Tool},
		{"identity_class", cls}, {"class_confidence", &e.Enrichment.ClassConfidence}, {"owner", &e.Enrichment.Owner},
		{"team", &e.Enrichment.Team}, {"peer_group", &e.Enrichment.PeerGroup}, {"environment", ienv},
		{"data_sensitivity", dsens}, {"ai_service_status", aistat}, {"registered", &e.Enrichment.Registered},
		{"off_hours", &e.Enrichment.OffHours}, {"credential_workloads", &e.Enrichment.CredentialWorkloads},
		{"features_available", &e.Features.Available}, {"learning", &e.Features.Learning},
		{"features_unavailable_reason", &e.Features.UnavailableReason}, {"features", feats},
		{"labels", &e.Labels}, {"attributes", &e.Attributes},
	}
}

// LoadEvents reads the events of the last since from the events table
// (FINAL: each event once) and rebuilds them as the rules stage saw them:
// normalized, enriched, with their baseline features. Prompt text and
// findings, and the raw record, are not read.
func LoadEvents(ctx context.Context, conn driver.Conn, since time.Duration) ([]*schemas.Event, error) {
	var names []string
	for _, c := range eventColumns(new(schemas.Event), new([3]time.Time), new(map[string]float64),
		new(string), new(string), new(string), new(string), new(string), new(string), new(string), new(string), new(string), new(string), new(string), new(string)) {
		names = append(names, c.name)
	}
	q := "SELECT " + strings.Join(names, ", ") + " FROM events FINAL WHERE time >= now64(3) - toIntervalSecond({since:UInt64}) ORDER BY time"
	rows, err := conn.Query(ch.Context(ctx, ch.WithParameters(ch.Parameters{"since": strconv.FormatInt(int64(since/time.Second), 10)})), q)
	if err != nil {
		return nil, fmt.Errorf("load events: %w", err)
	}
	defer rows.Close()
	var out []*schemas.Event
	for rows.Next() {
		e := new(schemas.Event)
		var times [3]time.Time
		var feats map[string]float64
		var kind, acct, cred, verb, cat, env, sens, outc, cls, ienv, dsens, aistat string
		cols := eventColumns(e, &times, &feats, &kind, &acct, &cred, &verb, &cat, &env, &sens, &outc, &cls, &ienv, &dsens, &aistat)
		dst := make([]any, len(cols))
		for i, c := range cols {
			dst[i] = c.dst
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("load events: %w", err)
		}
		e.SchemaVersion = schemas.EventSchemaVersion
		e.Time, e.ObservedTime = times[0].UTC(), zeroEpoch(times[1])
		e.Session.IssuedAt = zeroEpoch(times[2])
		e.Identity.Kind = schemas.IdentityKind(kind)
		e.Identity.AccountType = schemas.AccountType(acct)
		e.Session.CredentialType = schemas.CredentialType(cred)
		e.Action.Verb, e.Action.Category = schemas.Verb(verb), schemas.Category(cat)
		e.Target.Environment, e.Target.Sensitivity = schemas.Environment(env), schemas.Sensitivity(sens)
		e.Outcome = schemas.Outcome(outc)
		e.Enrichment.Class = schemas.IdentityClass(cls)
		e.Enrichment.Environment = schemas.Environment(ienv)
		e.Enrichment.DataSensitivity = schemas.Sensitivity(dsens)
		e.Enrichment.AIServiceStatus = schemas.AIServiceStatus(aistat)
		setFeatures(&e.Features, feats)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load events: %w", err)
	}
	return out, nil
}

func zeroEpoch(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t.UTC()
}

// setFeatures sets the fields of f named by the keys of the features
// column (JSON names joined by dots, as the sink writes them).
func setFeatures(f *schemas.Features, m map[string]float64) {
	for key, v := range m {
		setFeature(reflect.ValueOf(f).Elem(), strings.Split(key, "."), v)
	}
}

func setFeature(v reflect.Value, path []string, x float64) {
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != path[0] {
			continue
		}
		fv := v.Field(i)
		if len(path) > 1 {
			if fv.Kind() == reflect.Struct {
				setFeature(fv, path[1:], x)
			}
			return
		}
		switch fv.Kind() {
		case reflect.Bool:
			fv.SetBool(x != 0)
		case reflect.Float32, reflect.Float64:
			fv.SetFloat(x)
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			fv.SetInt(int64(x))
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			fv.SetUint(uint64(x))
		}
		return
	}
}
