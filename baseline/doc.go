// Package baseline is the baseline stage: it learns, for each identity,
// what its normal behaviour is, in the stream, and gives every event the
// features rules ask about ("is this ten times normal for this identity?")
// within the event's own processing.
//
// Workers (Worker) consume the enriched events keyed by identity, so that
// each identity's events reach one worker in order, and each worker owns the
// baselines of its partitions (Partition) without locks. For each event the
// worker computes schemas.Features against the identity's baseline and its
// peer group's, folds the event in, and produces the scored event with the
// same key.
//
// The baseline of an identity, all in event time:
//
//   - sums of events, bytes, records and tokens in buckets of 5 minutes, 1
//     hour and 1 day, aligned on the Unix epoch; the current and previous
//     bucket stay open for late events, and each completed bucket that saw
//     events is folded into an exponentially weighted mean and variance
//     (Config.Smoothing), for the identity and for each of its action
//     categories (events and bytes);
//   - the activity by hour of the week in the identity's time zone
//     (Config.TimeZones), decayed by 7/8 a week;
//   - a histogram of per-event volume, for percentile ranks;
//   - first-seen sets of the actions, resources, source addresses, networks,
//     countries, user agents, models, AI services, tenants and environments
//     it showed, each a bounded list of 28-bit value hashes with their first
//     and last time seen, forgetting the least recently seen value when full;
//   - the input offset of the last event folded, and the id hashes of the
//     events folded within the lateness (the last 64 at most).
//
// Peer groups (enrichment.peer_group, else "<class>/<team>") have the same
// means and variances, fed by their members' completed buckets, kept per
// input partition so that the features never depend on which worker owns
// which partitions.
//
// Baselines are checkpointed to a compacted changelog topic co-partitioned
// with the input (internal/changelog) at each flush, before the Runner
// commits the batch, and restored when partitions are assigned; an event at
// or below its identity's last folded offset is a redelivery and is not
// folded again, nor is a copy of an event folded lately that a stage before
// the baseline produced again after a crash (same event id, new offset), so
// the features of the events after a crash equal those of an uninterrupted
// run. Snapshots of the baselines go to ClickHouse
// periodically (SnapshotWriter). docs/features.md documents every feature
// as computed here.
package baseline
