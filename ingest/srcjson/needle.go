package srcjson

import (
	"bytes"
	"strings"
)

// byteRank orders bytes from the most to the least common in JSON records;
// bytes not listed are rarer still.
const byteRank = " \"etaoinsr:,_lcdu0123456789mph.gybf-vkw{}[]TSARCEIMNOPDLxjqz"

// Needle is a byte string a Detect method looks for in a record, searched
// from its rarest byte: bytes.Contains looks from the first, and a needle
// starting with a quote or a common letter stops it at almost every byte
// of a JSON record.
type Needle struct {
	text string
	at   int // index of the rarest byte
}

// NewNeedle returns the Needle of text, which must not be empty.
func NewNeedle(text string) Needle {
	n, best := Needle{text: text}, -1
	for i := 0; i < len(text); i++ {
		r := strings.IndexByte(byteRank, text[i])
		if r < 0 {
			r = len(byteRank)
		}
		if r > best {
			n.at, best = i, r
		}
	}
	return n
}

// In reports whether s holds the needle.
func (n Needle) In(s []byte) bool {
	c := n.text[n.at]
	for off := n.at; off < len(s); {
		j := bytes.IndexByte(s[off:], c)
		if j < 0 {
			return false
		}
		start := off + j - n.at
		if start+len(n.text) <= len(s) && string(s[start:start+len(n.text)]) == n.text {
			return true
		}
		off += j + 1
	}
	return false
}
