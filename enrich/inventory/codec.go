package inventory

import (
	"errors"
	"fmt"
	"time"

	"github.com/tinylib/msgp/msgp"

	"github.com/aitdr/aitdr/enrich/classify"
	"github.com/aitdr/aitdr/schemas"
)

// internalKey is the map key of the state's internal part in the changelog
// value; schemas.Identity has no field of that name, so its decoder skips it.
const internalKey = "_enrich"

// internalVersion is the version of the internal part's layout.
const internalVersion = 1

// Marshal appends the changelog value of s to dst: the schemas.Identity
// MessagePack map with the internal part under "_enrich". scratch is a
// buffer it may use (and returns, grown) to avoid allocating.
func Marshal(dst, scratch []byte, s *State) (out, scratchOut []byte, err error) {
	scratch, err = s.Identity.MarshalMsg(scratch[:0])
	if err != nil {
		return dst, scratch, fmt.Errorf("encode identity %q: %w", s.Identity.ID, err)
	}
	n, body, err := msgp.ReadMapHeaderBytes(scratch)
	if err != nil {
		return dst, scratch, fmt.Errorf("encode identity %q: %w", s.Identity.ID, err)
	}
	dst = msgp.AppendMapHeader(dst, n+1)
	dst = append(dst, body...)
	dst = msgp.AppendString(dst, internalKey)
	dst = msgp.AppendMapHeader(dst, 4)
	dst = msgp.AppendString(dst, "v")
	dst = msgp.AppendInt(dst, internalVersion)
	dst = msgp.AppendString(dst, "offset")
	dst = msgp.AppendInt64(dst, s.Offset)
	facts := s.Evidence.Facts()
	dst = msgp.AppendString(dst, "evidence")
	dst = msgp.AppendArrayHeader(dst, uint32(len(facts)))
	for _, f := range facts {
		dst = msgp.AppendArrayHeader(dst, 2)
		dst = msgp.AppendString(dst, f.Signal.String())
		dst = msgp.AppendString(dst, f.Detail)
	}
	dst = msgp.AppendString(dst, "credentials")
	dst = msgp.AppendArrayHeader(dst, uint32(len(s.Credentials)))
	for _, c := range s.Credentials {
		dst = msgp.AppendArrayHeader(dst, 3)
		dst = msgp.AppendString(dst, c.ID)
		dst = msgp.AppendString(dst, string(c.Type))
		dst = msgp.AppendInt64(dst, c.LastSeen.UnixNano())
	}
	return dst, scratch, nil
}

// Unmarshal decodes a changelog value into s (which it resets, keeping
// s.Partition). A value without the internal part (written by another
// producer) restores the inventory row with no evidence and no offset.
func Unmarshal(b []byte, s *State) error {
	partition := s.Partition
	*s = State{Offset: -1, Partition: partition}
	if _, err := s.Identity.UnmarshalMsg(b); err != nil {
		return fmt.Errorf("decode identity: %w", err)
	}
	for c, n := range s.Identity.EventsByCategory {
		if i := categoryIndex(schemas.Category(c)); i >= 0 {
			s.categories[i] = n
			continue
		}
		if s.otherCategories == nil {
			s.otherCategories = make(map[string]int64, 1)
		}
		s.otherCategories[c] = n
	}
	n, rest, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return fmt.Errorf("decode identity: %w", err)
	}
	for range n {
		var key []byte
		key, rest, err = msgp.ReadMapKeyZC(rest)
		if err != nil {
			return fmt.Errorf("decode identity: %w", err)
		}
		if string(key) != internalKey {
			if rest, err = msgp.Skip(rest); err != nil {
				return fmt.Errorf("decode identity field %q: %w", key, err)
			}
			continue
		}
		if err := s.unmarshalInternal(rest); err != nil {
			return fmt.Errorf("decode identity %q: %s: %w", s.Identity.ID, internalKey, err)
		}
		break
	}
	return nil
}

func (s *State) unmarshalInternal(b []byte) error {
	n, b, err := msgp.ReadMapHeaderBytes(b)
	if err != nil {
		return err
	}
	var facts []classify.Fact
	for range n {
		var key []byte
		if key, b, err = msgp.ReadMapKeyZC(b); err != nil {
			return err
		}
		switch string(key) {
		case "v":
			var v int
			if v, b, err = msgp.ReadIntBytes(b); err != nil {
				return err
			}
			if v > internalVersion {
				return fmt.Errorf("layout version %d is newer than this build's %d", v, internalVersion)
			}
		case "offset":
			if s.Offset, b, err = msgp.ReadInt64Bytes(b); err != nil {
				return err
			}
		case "evidence":
			var m uint32
			if m, b, err = msgp.ReadArrayHeaderBytes(b); err != nil {
				return err
			}
			if m > 64 {
				return errors.New("evidence: too many facts")
			}
			for range m {
				var name, detail string
				if b, err = expectArray(b, 2); err != nil {
					return err
				}
				if name, b, err = msgp.ReadStringBytes(b); err != nil {
					return err
				}
				if detail, b, err = msgp.ReadStringBytes(b); err != nil {
					return err
				}
				if sig, ok := classify.SignalByName(name); ok {
					facts = append(facts, classify.Fact{Signal: sig, Detail: detail})
				}
			}
		case "credentials":
			var m uint32
			if m, b, err = msgp.ReadArrayHeaderBytes(b); err != nil {
				return err
			}
			if m > schemas.MaxIdentityList {
				return fmt.Errorf("credentials: %d entries, more than %d", m, schemas.MaxIdentityList)
			}
			s.Credentials = make([]Credential, 0, m)
			for range m {
				var c Credential
				var typ string
				var ns int64
				if b, err = expectArray(b, 3); err != nil {
					return err
				}
				if c.ID, b, err = msgp.ReadStringBytes(b); err != nil {
					return err
				}
				if typ, b, err = msgp.ReadStringBytes(b); err != nil {
					return err
				}
				if ns, b, err = msgp.ReadInt64Bytes(b); err != nil {
					return err
				}
				c.Type, c.LastSeen = schemas.CredentialType(typ), time.Unix(0, ns).UTC()
				s.Credentials = append(s.Credentials, c)
			}
		default:
			if b, err = msgp.Skip(b); err != nil {
				return err
			}
		}
	}
	s.Evidence.Set(facts)
	return nil
}

func expectArray(b []byte, want uint32) ([]byte, error) {
	n, b, err := msgp.ReadArrayHeaderBytes(b)
	if err != nil {
		return b, err
	}
	if n != want {
		return b, fmt.Errorf("want an array of %d, got %d", want, n)
	}
	return b, nil
}
