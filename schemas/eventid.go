package schemas

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// EventIDLen is the length of every id EventID returns.
const EventIDLen = 32

// EventID returns the stable id of an event: the dedup key from ingest to
// ClickHouse and NATS. It is the hex of the first 128 bits of a SHA-256 over
// the product and the source's own event id (CloudTrail eventID, Okta uuid),
// or over the product and the raw record when the source has no id (sourceID
// empty), so that a record delivered twice gets the same id and two sources
// never collide. The inputs are framed and domain-separated: a source id never
// hashes like a raw record. EventID is deterministic across versions and
// machines; changing it is an incompatible change of the Event contract.
//
// Keep the source id itself in Source.EventID for traceability.
func EventID(product Product, sourceID string, raw []byte) string {
	// Framing: uvarint length of the product, the product, then 'i' and
	// the source id or 'r' and the raw record.
	h := sha256.New()
	var head [binary.MaxVarintLen64 + 1]byte
	h.Write(binary.AppendUvarint(head[:0], uint64(len(product))))
	h.Write([]byte(product))
	if sourceID != "" {
		h.Write([]byte{'i'})
		h.Write([]byte(sourceID))
	} else {
		h.Write([]byte{'r'})
		h.Write(raw)
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:EventIDLen/2])
}
