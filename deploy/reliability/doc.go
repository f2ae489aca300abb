// Package reliability holds aitdr's reliability suite: integration tests
// that build the aitdr binary once and run "aitdr run" as a subprocess
// against a real Kafka broker, a standalone nats-server and, where a test
// stops it, a separate "aitdr clickhouse serve" process, and then break
// things on purpose:
//
//   - kill -9 of the pipeline mid-stream and a restart: every event id is in
//     ClickHouse exactly once (FINAL), and the alerts and response actions
//     are exactly those of an uninterrupted pipeline fed the same records;
//   - the ClickHouse engine stopped for a while: the sink holds (commits
//     nothing), then catches up, nothing lost;
//   - nats-server stopped: the rules stage holds, and the responder catches
//     up from JetStream after the restart;
//   - a burst of poison records: only the dead-letter topic grows, each
//     record once with its reason, while good records keep flowing;
//   - sustained load above capacity: consumer lag grows, then drains to 0,
//     and the process's peak resident memory stays under a bound derived
//     from the stages' in-flight limits.
//
// The suite needs a real broker: it runs when AITDR_TEST_KAFKA_BROKERS is
// set (make test-kafka sets it) and skips otherwise. It uses nats-server
// from $NATS_SERVER_BIN or .cache/bin (make nats-server), building it when
// absent, and the embedded ClickHouse engine from $AITDR_CHDB_LIB (make
// chdb). docs/reliability.md describes each test and the figures measured.
//
// The package has no code of its own beyond this comment: everything is in
// its tests.
package reliability
