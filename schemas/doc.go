// Package schemas is the contract every aitdr stage shares: the normalized
// audit Event, the Identity inventory row, the topic names and record headers
// (topics.go) and the codecs of the internal topics.
//
// The package is light on purpose: it imports the standard library and the
// MessagePack runtime only, so that every stage, tool and test can depend on
// it. The OCSF alert shape lives in the subpackage ocsf; the JSON Schema files
// generated from these types live in the folder jsonschema.
//
// Internal topics carry MessagePack (ContentTypeEventMsgpack), chosen by
// measurement; JSON (ContentTypeEventJSON) is the form at the edges: ingest
// input, debugging, golden files and exports. docs/events.md describes every
// field, the encodings and the compatibility rules.
package schemas

//go:generate go tool msgp -file=event.go -o=event_gen.go -tests=false -io=false
//go:generate go tool msgp -file=features.go -o=features_gen.go -tests=false -io=false
//go:generate go tool msgp -file=identity.go -o=identity_gen.go -tests=false -io=false
//go:generate go run ./internal/cmd/schemagen -dir . -out jsonschema
