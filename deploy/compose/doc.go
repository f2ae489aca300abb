// Package compose holds the Docker Compose deployment of aitdr
// (compose.yaml, config/, rules/, playbooks/): Kafka, ClickHouse and NATS
// beside one container per stage of the aitdr image. It has no code; its
// tests check the files against the Compose specification's JSON Schema,
// load them as Compose does, and check every command, mounted
// configuration, rule and playbook file against the aitdr binary, since no
// container engine runs in CI.
package compose
