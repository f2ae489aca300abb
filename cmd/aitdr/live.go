package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/aitdr/aitdr/schemas"
)

// liveStats is one reading of a running pipeline, what the live view of
// "aitdr run" shows.
type liveStats struct {
	// At is when the reading was taken.
	At time.Time
	// Uptime is how long the pipeline has run.
	Uptime time.Duration
	// Topics are the record rates and totals of the pipeline's topics, in
	// pipeline order.
	Topics []topicRate
	// Lag is the consumer lag of each stage's group, by stage.
	Lag map[string]int64
	// IdentitiesByClass counts the inventory by identity class.
	IdentitiesByClass map[string]int64
	// AlertsBySeverity counts alerts by severity.
	AlertsBySeverity map[string]int64
	// TopRules are the rules with the most alerts.
	TopRules []ruleCount
	// ActionsByStatus counts response actions by status, dry runs apart.
	ActionsByStatus map[string]int64
	// DryRunActions counts the actions only reported (dry run).
	DryRunActions int64
	// Responded is the number of alerts with a completed action, and
	// MTTRP50 and MTTRP95 the time from their first evidence event's
	// arrival in the pipeline to that action.
	Responded        int64
	MTTRP50, MTTRP95 time.Duration
	// Problems are the sources the reading could not get, for the footer.
	Problems []string
}

// topicRate is the traffic of one topic.
type topicRate struct {
	Label  string
	Topic  string
	Total  int64
	PerSec float64
}

// ruleCount is the number of alerts of one rule.
type ruleCount struct {
	Rule  string
	Count int64
}

// liveSampler reads the pipeline's state from Kafka (end offsets, group
// lag) and ClickHouse (inventory, alerts, actions): the same sources an
// operator would query, so the view works on external clusters too.
type liveSampler struct {
	adm     *kadm.Client
	ch      driver.Conn
	db      string      // the database of the tables
	topics  []topicRate // Label and Topic set; Total of the previous reading
	groups  map[string]string
	started time.Time
	prevAt  time.Time
}

// newLiveSampler samples topics (label → topic, in order) and the stage
// groups (stage → group).
func newLiveSampler(adm *kadm.Client, ch driver.Conn, db string, topics [][2]string, groups map[string]string) *liveSampler {
	s := &liveSampler{adm: adm, ch: ch, db: db, groups: groups, started: time.Now()}
	for _, t := range topics {
		s.topics = append(s.topics, topicRate{Label: t[0], Topic: t[1]})
	}
	return s
}

// sample takes one reading. A source that fails is named in Problems and
// the rest of the reading is still returned.
func (s *liveSampler) sample(ctx context.Context) liveStats {
	now := time.Now()
	st := liveStats{At: now, Uptime: now.Sub(s.started).Round(time.Second)}
	names := make([]string, len(s.topics))
	for i, t := range s.topics {
		names[i] = t.Topic
	}
	ends, err := s.adm.ListEndOffsets(ctx, names...)
	if err != nil {
		st.Problems = append(st.Problems, "kafka offsets: "+err.Error())
	}
	elapsed := now.Sub(s.prevAt).Seconds()
	for i, t := range s.topics {
		var total int64
		ends.Each(func(o kadm.ListedOffset) {
			if o.Topic == t.Topic && o.Err == nil {
				total += o.Offset
			}
		})
		rate := topicRate{Label: t.Label, Topic: t.Topic, Total: total}
		if !s.prevAt.IsZero() && elapsed > 0 && total >= t.Total {
			rate.PerSec = float64(total-t.Total) / elapsed
		}
		s.topics[i].Total = total
		st.Topics = append(st.Topics, rate)
	}
	s.prevAt = now

	st.Lag = map[string]int64{}
	groups := slices.Sorted(maps.Values(s.groups))
	lags, err := s.adm.Lag(ctx, groups...)
	if err != nil {
		st.Problems = append(st.Problems, "kafka lag: "+err.Error())
	}
	for stage, group := range s.groups {
		if l, ok := lags[group]; ok && l.Error() == nil {
			st.Lag[stage] = l.Lag.Total()
		}
	}

	if s.ch == nil {
		return st
	}
	counts := func(what, query string, into map[string]int64) {
		rows, err := s.ch.Query(ctx, query)
		if err != nil {
			st.Problems = append(st.Problems, what+": "+err.Error())
			return
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var n uint64
			if err := rows.Scan(&k, &n); err != nil {
				st.Problems = append(st.Problems, what+": "+err.Error())
				return
			}
			into[k] = int64(n)
		}
	}
	st.IdentitiesByClass = map[string]int64{}
	counts("identities", "SELECT toString(class), count() FROM "+s.db+".identities FINAL GROUP BY class", st.IdentitiesByClass)
	st.AlertsBySeverity = map[string]int64{}
	counts("alerts", "SELECT lower(toString(severity)) AS s, count() FROM "+s.db+".alerts FINAL GROUP BY s", st.AlertsBySeverity)
	byRule := map[string]int64{}
	counts("alerts by rule", "SELECT toString(rule_id), count() AS n FROM "+s.db+".alerts FINAL GROUP BY rule_id ORDER BY n DESC, rule_id LIMIT 5", byRule)
	for rule, n := range byRule {
		st.TopRules = append(st.TopRules, ruleCount{Rule: rule, Count: n})
	}
	slices.SortFunc(st.TopRules, func(a, b ruleCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	st.ActionsByStatus = map[string]int64{}
	counts("actions", "SELECT if(dry_run, 'dry_run', toString(status)), count() FROM "+s.db+".response_actions FINAL GROUP BY 1", st.ActionsByStatus)
	st.DryRunActions = st.ActionsByStatus["dry_run"]
	delete(st.ActionsByStatus, "dry_run")

	// Time to respond runs from when the alert's first evidence event
	// reached the pipeline (its observed time) to the end of containment:
	// a simulated history replays days-old events in a minute, and a
	// source's own delivery delay comes before the pipeline sees anything.
	row := s.ch.QueryRow(ctx, fmt.Sprintf(`
		WITH responded AS (
			SELECT alert_id, min(completed_at) AS done
			FROM %[1]s.response_actions FINAL
			WHERE status IN ('succeeded', 'failed') AND completed_at > toDateTime64(0, 3, 'UTC')
			GROUP BY alert_id
		), firsts AS (
			SELECT alert_id, evidence_event_ids[1] AS event_id, start_time
			FROM %[1]s.alerts FINAL
			WHERE alert_id IN (SELECT alert_id FROM responded)
		), arrivals AS (
			SELECT event_id, min(observed_time) AS observed
			FROM %[1]s.events
			WHERE event_id IN (SELECT event_id FROM firsts)
			GROUP BY event_id
		)
		SELECT count(), quantileExact(0.5)(ms), quantileExact(0.95)(ms) FROM (
			SELECT greatest(dateDiff('millisecond', if(v.observed > toDateTime64(0, 3, 'UTC'), v.observed, f.start_time), r.done), 0) AS ms
			FROM firsts AS f
			INNER JOIN responded AS r ON f.alert_id = r.alert_id
			LEFT JOIN arrivals AS v ON v.event_id = f.event_id
		)`, s.db))
	var n uint64
	var p50, p95 int64
	if err := row.Scan(&n, &p50, &p95); err != nil {
		st.Problems = append(st.Problems, "time to respond: "+err.Error())
	} else {
		st.Responded = int64(n)
		st.MTTRP50 = time.Duration(p50) * time.Millisecond
		st.MTTRP95 = time.Duration(p95) * time.Millisecond
	}
	return st
}

// classOrder and severityOrder fix the view's rows, so it does not jump.
var (
	classOrder    = []string{"ai_agent", "ai_builder", "ai_user", "human", "service", "unknown"}
	severityOrder = []string{"critical", "high", "medium", "low", "info"}
)

// liveTopics are the topics the live view shows, labelled, in pipeline order.
func liveTopics(prefix string) [][2]string {
	return [][2]string{
		{"raw records", prefix + schemas.TopicRaw},
		{"events", prefix + schemas.TopicEvents},
		{"enriched", prefix + schemas.TopicEnriched},
		{"scored", prefix + schemas.TopicScored},
		{"alerts", prefix + schemas.TopicAlerts},
		{"dead letters", prefix + schemas.TopicDeadLetter},
	}
}

// renderLive writes one frame of the live view.
func renderLive(w io.Writer, st liveStats) {
	fmt.Fprintf(w, "aitdr live  %s  up %s\n\n", st.At.UTC().Format(time.TimeOnly), st.Uptime)
	fmt.Fprintf(w, "  %-22s %12s %14s\n", "TRAFFIC", "records/s", "total")
	for _, t := range st.Topics {
		fmt.Fprintf(w, "  %-22s %12.1f %14d\n", t.Label, t.PerSec, t.Total)
	}
	fmt.Fprintf(w, "\n  %-22s %s\n", "CONSUMER LAG", joinCounts(st.Lag, slices.Sorted(maps.Keys(st.Lag))))
	fmt.Fprintf(w, "  %-22s %s\n", "IDENTITIES", joinCounts(st.IdentitiesByClass, orderedKeys(st.IdentitiesByClass, classOrder)))
	fmt.Fprintf(w, "  %-22s %s\n", "ALERTS", joinCounts(st.AlertsBySeverity, orderedKeys(st.AlertsBySeverity, severityOrder)))
	for _, r := range st.TopRules {
		fmt.Fprintf(w, "  %-22s %6d  %s\n", "", r.Count, r.Rule)
	}
	actions := joinCounts(st.ActionsByStatus, slices.Sorted(maps.Keys(st.ActionsByStatus)))
	if st.DryRunActions > 0 {
		actions += fmt.Sprintf("   (dry run: %d)", st.DryRunActions)
	}
	fmt.Fprintf(w, "  %-22s %s\n", "ACTIONS", actions)
	mttr := "no containment yet"
	if st.Responded > 0 {
		mttr = fmt.Sprintf("p50 %s  p95 %s  over %d alerts", st.MTTRP50.Round(10*time.Millisecond), st.MTTRP95.Round(10*time.Millisecond), st.Responded)
	}
	fmt.Fprintf(w, "  %-22s %s\n", "TIME TO RESPOND", mttr)
	for _, p := range st.Problems {
		fmt.Fprintf(w, "\n  ! %s", p)
	}
	if len(st.Problems) > 0 {
		fmt.Fprintln(w)
	}
}

// orderedKeys returns the keys of m in the order of order, then any others
// sorted.
func orderedKeys(m map[string]int64, order []string) []string {
	var keys []string
	for _, k := range order {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(order, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func joinCounts(m map[string]int64, keys []string) string {
	if len(keys) == 0 {
		return "-"
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, "  ")
}

// runLiveView samples every interval until ctx is done. On a terminal it
// redraws the view in place; otherwise it writes a frame every interval,
// which a log collector keeps as it is.
func runLiveView(ctx context.Context, w io.Writer, s *liveSampler, interval time.Duration, terminal bool, footer string) error {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		sampleCtx, cancel := context.WithTimeout(ctx, interval)
		st := s.sample(sampleCtx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		var b strings.Builder
		if terminal {
			b.WriteString("\x1b[H\x1b[2J") // home, clear screen
		}
		renderLive(&b, st)
		if terminal && footer != "" {
			b.WriteString("\n")
			b.WriteString(footer)
		}
		b.WriteString("\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return fmt.Errorf("live view: %w", err)
		}
	}
}
