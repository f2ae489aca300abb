// Package rules is the detection engine of aitdr: YAML rule files compiled
// once into expr programs over a typed schemas.Event, an index that hands
// each event only the rules that can match it, and the state of the
// stateful rule types (threshold, sequence, new_terms) and of suppression,
// bounded in memory and checkpointed by the stage to a compacted changelog.
//
// docs/rules.md documents the rule format for authors; rules/schema holds
// its JSON Schema for editors. Load rule files with a Loader (files,
// directories, the embedded pack in rules/pack), evaluate events with an
// Engine, and check rules with Lint and RunTests. The Kafka and NATS stage
// is in the subpackage stage.
package rules

//go:generate go test -run TestJSONSchemaIsUpToDate -update .
