package stream

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The conditions Readiness reports.
const (
	// ConditionPartitions holds when the Runner is in its consumer group
	// and holds partitions, or holds none legitimately: its group has more
	// members than its topics have partitions.
	ConditionPartitions = "partitions"
	// ConditionState holds when the Assigner has restored the state of
	// every partition assigned (from a changelog, say), or when the
	// Processor keeps no per-partition state.
	ConditionState = "state"
)

// Condition is one condition of a Runner's readiness.
type Condition struct {
	// Name is ConditionPartitions or ConditionState.
	Name string
	// OK tells whether the condition holds.
	OK bool
	// Reason says why it holds or not, for an operator: the partitions
	// held, the group's size, the restore under way and for how long.
	Reason string
}

// Err returns nil when c holds and its reason as an error otherwise.
func (c Condition) Err() error {
	if c.OK {
		return nil
	}
	return errors.New(c.Reason)
}

// Readiness reports the Runner's own readiness conditions, for a
// readiness probe beside the engines' checks: ConditionPartitions, then
// ConditionState. It asks the brokers only when the Runner holds no
// partitions, to tell an idle member of a group larger than its
// partitions from one still waiting for its share; ctx bounds that. It is
// safe for concurrent use, before, during and after Run.
func (r *Runner) Readiness(ctx context.Context) []Condition {
	return []Condition{r.partitionsCondition(ctx), r.stateCondition()}
}

// partitionsCondition is ConditionPartitions now.
func (r *Runner) partitionsCondition(ctx context.Context) Condition {
	c := Condition{Name: ConditionPartitions}
	cl := r.assignment.client.Load()
	if cl == nil {
		c.Reason = "not consuming: the stage has not started or is stopping"
		return c
	}
	member, generation := cl.GroupMetadata()
	if member == "" || generation < 0 {
		c.Reason = fmt.Sprintf("joining consumer group %s", r.cfg.Group)
		return c
	}
	held, assigned := r.assignment.holding()
	if len(held) > 0 {
		c.OK = true
		c.Reason = fmt.Sprintf("holds %s in consumer group %s", describePartitions(held), r.cfg.Group)
		return c
	}
	if !assigned {
		c.Reason = fmt.Sprintf("in consumer group %s (generation %d), waiting for its assignment", r.cfg.Group, generation)
		return c
	}
	members, partitions, err := r.groupSize(ctx, cl)
	switch {
	case err != nil:
		c.Reason = fmt.Sprintf("holds no partitions in consumer group %s, and its size is unknown: %v", r.cfg.Group, err)
	case members > partitions:
		c.OK = true
		c.Reason = fmt.Sprintf("holds no partitions: consumer group %s has %d members for %s of %s",
			r.cfg.Group, members, countPartitions(partitions), strings.Join(r.cfg.Topics, ", "))
	default:
		c.Reason = fmt.Sprintf("holds no partitions while consumer group %s has %d members for %s of %s: a rebalance is under way",
			r.cfg.Group, members, countPartitions(partitions), strings.Join(r.cfg.Topics, ", "))
	}
	return c
}

// groupSize returns the members of the Runner's group and the partitions
// of its topics, from the brokers.
func (r *Runner) groupSize(ctx context.Context, cl *kgo.Client) (members, partitions int, err error) {
	adm := kadm.NewClient(cl)
	groups, err := adm.DescribeGroups(ctx, r.cfg.Group)
	if err == nil {
		err = groups.Error()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("describe group %s: %w", r.cfg.Group, err)
	}
	topics, err := adm.ListTopics(ctx, r.cfg.Topics...)
	if err == nil {
		err = topics.Error()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("list topics %v: %w", r.cfg.Topics, err)
	}
	for _, td := range topics {
		partitions += len(td.Partitions)
	}
	return len(groups[r.cfg.Group].Members), partitions, nil
}

// stateCondition is ConditionState now.
func (r *Runner) stateCondition() Condition {
	c := Condition{Name: ConditionState}
	if r.assigner == nil {
		c.OK = true
		c.Reason = "the stage keeps no per-partition state"
		return c
	}
	a := &r.assignment
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.restoring != nil:
		c.Reason = fmt.Sprintf("restoring the state of %s for %s", describePartitions(a.restoring),
			time.Since(a.restoreStart).Round(time.Millisecond))
	case a.restoreErr != nil:
		c.Reason = fmt.Sprintf("restoring the state failed: %v", a.restoreErr)
	case !a.assigned:
		c.Reason = "no assignment yet: nothing restored"
	case a.restoredCount == 0:
		c.OK = true
		c.Reason = "nothing to restore: no partition assigned"
	default:
		c.OK = true
		c.Reason = fmt.Sprintf("state restored: last %s in %s", describePartitions(a.restored), a.restoreTook.Round(time.Millisecond))
	}
	return c
}

// assignmentState is what the group callbacks tell about this member, for
// Readiness: the partitions held, whether an assignment came, the restore
// under way or the last one. It is safe for concurrent use.
type assignmentState struct {
	// client is the Runner's Kafka client while Run consumes, else nil.
	client atomic.Pointer[kgo.Client]

	mu            sync.Mutex
	held          map[string]map[int32]bool
	assigned      bool // an assignment, possibly empty, came while consuming
	restoring     map[string][]int32
	restoreStart  time.Time
	restoreErr    error
	restored      map[string][]int32
	restoredCount int
	restoreTook   time.Duration
}

// start records that Run consumes with cl, or, with nil, that it stopped
// consuming: it holds nothing from then on. (A Runner runs once, and its
// group callbacks may come before start(cl): that does not reset them.)
func (a *assignmentState) start(cl *kgo.Client) {
	a.client.Store(cl)
	if cl != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.held, a.assigned, a.restoring = nil, false, nil
}

// hold records newly assigned partitions, possibly none.
func (a *assignmentState) hold(assigned map[string][]int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.assigned = true
	for topic, parts := range assigned {
		if a.held == nil {
			a.held = map[string]map[int32]bool{}
		}
		if a.held[topic] == nil {
			a.held[topic] = map[int32]bool{}
		}
		for _, p := range parts {
			a.held[topic][p] = true
		}
	}
}

// release records partitions revoked, or with lost, lost with the group
// session: the member waits for a new assignment then.
func (a *assignmentState) release(gone map[string][]int32, lost bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if lost {
		a.assigned = false
	}
	for topic, parts := range gone {
		for _, p := range parts {
			delete(a.held[topic], p)
		}
		if len(a.held[topic]) == 0 {
			delete(a.held, topic)
		}
	}
}

// holding returns the partitions held by topic, sorted, and whether an
// assignment came.
func (a *assignmentState) holding() (map[string][]int32, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string][]int32, len(a.held))
	for topic, parts := range a.held {
		out[topic] = slices.Sorted(maps.Keys(parts))
	}
	return out, a.assigned
}

// restoreBegins records that the Assigner restores partitions.
func (a *assignmentState) restoreBegins(partitions map[string][]int32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.restoring, a.restoreStart, a.restoreErr = partitions, time.Now(), nil
}

// restoreEnds records the outcome of the restore restoreBegins began.
func (a *assignmentState) restoreEnds(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.restoreErr = err
	} else {
		a.restored, a.restoreTook = a.restoring, time.Since(a.restoreStart)
		for _, parts := range a.restoring {
			a.restoredCount += len(parts)
		}
	}
	a.restoring = nil
}

// describePartitions says "3 partitions (aitdr.scored: 0,1,2)".
func describePartitions(parts map[string][]int32) string {
	n := 0
	var topics []string
	for _, topic := range slices.Sorted(maps.Keys(parts)) {
		ps := slices.Sorted(slices.Values(parts[topic]))
		n += len(ps)
		nums := make([]string, len(ps))
		for i, p := range ps {
			nums[i] = strconv.Itoa(int(p))
		}
		topics = append(topics, topic+": "+strings.Join(nums, ","))
	}
	return fmt.Sprintf("%s (%s)", countPartitions(n), strings.Join(topics, "; "))
}

// countPartitions says "1 partition", "3 partitions".
func countPartitions(n int) string {
	if n == 1 {
		return "1 partition"
	}
	return strconv.Itoa(n) + " partitions"
}
