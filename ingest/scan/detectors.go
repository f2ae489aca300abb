package scan

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/aitdr/aitdr/schemas"
)

// Byte classes.

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlpha(c byte) bool { return isUpper(c) || isLower(c) }
func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

// isWord reports a byte that continues an identifier.
func isWord(c byte) bool { return isAlnum(c) || c == '_' }

// isKeyChar reports a byte of an API key body: [A-Za-z0-9_-].
func isKeyChar(c byte) bool { return isWord(c) || c == '-' }

// isB64 reports a byte of standard base64 without padding: [A-Za-z0-9+/].
func isB64(c byte) bool { return isAlnum(c) || c == '+' || c == '/' }

// isBase32Upper reports a byte of AWS key ids: [A-Z2-7].
func isBase32Upper(c byte) bool { return isUpper(c) || (c >= '2' && c <= '7') }

// boundaryBefore reports whether text[i] starts a token: nothing or a
// non-word byte before it.
func boundaryBefore(text string, i int) bool { return i == 0 || !isWord(text[i-1]) }

// boundaryAfter reports whether text[i-1] ends a token.
func boundaryAfter(text string, i int) bool { return i >= len(text) || !isWord(text[i]) }

// runEnd returns the end of the run of bytes satisfying class from i,
// looking at most limit bytes ahead (limit < 0: no limit).
func runEnd(text string, i, limit int, class func(byte) bool) int {
	j := i
	for j < len(text) && class(text[j]) {
		j++
		if limit >= 0 && j-i > limit {
			break
		}
	}
	return j
}

// forEach calls f with the offset of every occurrence of needle in text.
func forEach(text, needle string, f func(i int)) {
	for off := 0; off <= len(text)-len(needle); {
		j := strings.Index(text[off:], needle)
		if j < 0 {
			return
		}
		f(off + j)
		off += j + 1
	}
}

// forEachAnchored is forEach for a needle whose first bytes are common
// in text: it searches from needle[anchor:], a rarer byte, and checks the
// bytes before it.
func forEachAnchored(text, needle string, anchor int, f func(i int)) {
	head, tail := needle[:anchor], needle[anchor:]
	forEach(text, tail, func(j int) {
		if i := j - anchor; i >= 0 && text[i:j] == head {
			f(i)
		}
	})
}

// scanAWS finds AWS access key ids (AKIA long-term, ASIA temporary: 4
// letters and 16 of [A-Z2-7]) and 40-character secret-key shapes within
// awsSecretWindow bytes of a key id.
func scanAWS(text string, keys, secrets bool, emit func(Match)) {
	const awsSecretWindow = 256
	secretScanned := 0 // secrets are looked for once per byte of text
	found := func(i int) {
		if !boundaryBefore(text, i) || i+20 > len(text) || !boundaryAfter(text, i+20) {
			return
		}
		for k := i + 4; k < i+20; k++ {
			if !isBase32Upper(text[k]) {
				return
			}
		}
		if keys {
			conf := 0.9
			if strings.HasSuffix(text[i:i+20], "EXAMPLE") {
				conf = 0.5 // AWS documentation's example key
			}
			emit(Match{Detector: DetectorAWSAccessKey, Type: schemas.DataCloudCredential, Start: i, End: i + 20, Confidence: conf})
		}
		if secrets {
			from := max(i-awsSecretWindow, secretScanned)
			to := min(i+20+awsSecretWindow, len(text))
			secretScanned = scanAWSSecrets(text, from, to, emit)
		}
	}
	// Both prefixes in text order, so that secrets are looked for once.
	ak, as := strings.Index(text, "AKIA"), strings.Index(text, "ASIA")
	for ak >= 0 || as >= 0 {
		var i int
		if as < 0 || (ak >= 0 && ak < as) {
			i, ak = ak, nextIndex(text, "AKIA", ak+1)
		} else {
			i, as = as, nextIndex(text, "ASIA", as+1)
		}
		found(i)
	}
}

// nextIndex returns the offset of needle in text at or after from, or -1.
func nextIndex(text, needle string, from int) int {
	if from > len(text) {
		return -1
	}
	j := strings.Index(text[from:], needle)
	if j < 0 {
		return -1
	}
	return from + j
}

// scanAWSSecrets looks for runs of exactly 40 base64 bytes starting in
// [from, to) that mix upper case, lower case and digits (a hex digest or a
// word does not), and returns where it stopped: the end of the last run
// examined, at least to.
func scanAWSSecrets(text string, from, to int, emit func(Match)) int {
	i := from
	// Resume at a run boundary.
	for i > 0 && i < len(text) && isB64(text[i-1]) && isB64(text[i]) {
		i++
	}
	for i < to {
		if !isB64(text[i]) {
			i++
			continue
		}
		end := runEnd(text, i, 41, isB64)
		if end-i == 40 && (end == len(text) || text[end] != '=') {
			var up, lo, dg bool
			for _, c := range []byte(text[i:end]) {
				up = up || isUpper(c)
				lo = lo || isLower(c)
				dg = dg || isDigit(c)
			}
			if up && lo && dg {
				emit(Match{Detector: DetectorAWSSecretKey, Type: schemas.DataCloudCredential, Start: i, End: end, Confidence: 0.9})
			}
		}
		// Skip the whole run, however long.
		end = runEnd(text, end, -1, isB64)
		i = end
	}
	return max(i, to)
}

// scanGCPKey finds Google Cloud service-account key files by their
// "private_key_id" member, surer when the file also names a client e-mail
// or the service_account type.
func scanGCPKey(text string, emit func(Match)) {
	sure := -1 // whether text names a client e-mail or the service_account type
	forEachAnchored(text, "private_key_id", len("private"), func(i int) {
		if i > 0 && isWord(text[i-1]) {
			return
		}
		j := i + len("private_key_id")
		if j < len(text) && text[j] == '"' {
			j++
		}
		for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
			j++
		}
		if j >= len(text) || (text[j] != ':' && text[j] != '=') {
			return
		}
		if sure < 0 { // looked up once per text
			sure = 0
			if strings.Contains(text, "client_email") || strings.Contains(text, "service_account") {
				sure = 1
			}
		}
		conf := 0.9
		if sure == 1 {
			conf = 0.99
		}
		emit(Match{Detector: DetectorGCPServiceAccount, Type: schemas.DataCloudCredential, Start: i, End: j + 1, Confidence: conf})
	})
}

// scanPEM finds PEM private keys ("-----BEGIN ... PRIVATE KEY-----"),
// covering the key up to its END line when it has one.
func scanPEM(text string, emit func(Match)) {
	const begin = "-----BEGIN "
	// Headers come in text order: the END line found for one header serves
	// the next ones before it, and none after one header means none at all.
	nextEnd, noEnd := -1, false
	forEach(text, begin, func(i int) {
		j := i + len(begin)
		k := j
		for k < len(text) && k-j <= 48 && (isUpper(text[k]) || isDigit(text[k]) || text[k] == ' ') {
			k++
		}
		label := text[j:k]
		if !strings.HasPrefix(text[k:], "-----") || !strings.Contains(label, "PRIVATE KEY") {
			return
		}
		header := k + 5
		if !noEnd && nextEnd < header {
			if e := strings.Index(text[header:], "-----END "); e >= 0 {
				nextEnd = header + e
			} else {
				noEnd = true
			}
		}
		end, conf := header, 0.9
		if !noEnd {
			tail := "-----END " + label + "-----"
			if strings.HasPrefix(text[nextEnd:], tail) {
				end, conf = nextEnd+len(tail), 0.99
			}
		}
		emit(Match{Detector: DetectorPrivateKey, Type: schemas.DataPrivateKey, Start: i, End: end, Confidence: conf})
	})
}

func isB64URL(c byte) bool { return isAlnum(c) || c == '-' || c == '_' }

// scanJWT finds JSON Web Tokens: three base64url parts joined by dots
// (the signature may be empty, as in alg "none") whose header decodes to a
// JSON object with an "alg" member.
func scanJWT(text string, emit func(Match)) {
	forEachAnchored(text, "eyJ", 2, func(i int) {
		if i > 0 && (isB64URL(text[i-1]) || text[i-1] == '.') {
			return
		}
		h := runEnd(text, i, 2048, isB64URL)
		if h-i > 2048 || h >= len(text) || text[h] != '.' {
			return
		}
		p := runEnd(text, h+1, -1, isB64URL)
		if p-(h+1) < 2 || p >= len(text) || text[p] != '.' {
			return
		}
		s := runEnd(text, p+1, -1, isB64URL)
		if s < len(text) && (text[s] == '.' || text[s] == '=') {
			return
		}
		if !jwtHeader(text[i:h]) {
			return
		}
		emit(Match{Detector: DetectorJWT, Type: DataAuthToken, Start: i, End: s, Confidence: 0.95})
	})
}

// jwtHeader reports whether part is base64url of a JSON object with "alg".
func jwtHeader(part string) bool {
	var buf [1536]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], []byte(part))
	if err != nil {
		return false
	}
	var hdr struct {
		Alg *string `json:"alg"`
	}
	return json.Unmarshal(buf[:n], &hdr) == nil && hdr.Alg != nil
}

// isUserinfo reports a byte allowed in the user:password part of a URL as
// people write it (not percent-decoding; no separators or quotes).
func isUserinfo(c byte) bool {
	switch c {
	case '/', '?', '#', '@', ' ', '\t', '\r', '\n', '"', '\'', '<', '>', '`', '\\', '[', ']':
		return false
	}
	return c > ' ' && c != 0x7f
}

// scanURLPassword finds passwords in URLs: scheme://user:password@host
// (the user may be empty, as in redis://:password@host). Placeholders such
// as "****", "${DB_PASSWORD}" or "{{pass}}" are not passwords.
func scanURLPassword(text string, emit func(Match)) {
	forEach(text, "://", func(i int) {
		s := i
		for s > 0 && i-s < 32 && (isAlnum(text[s-1]) || text[s-1] == '+' || text[s-1] == '.' || text[s-1] == '-') {
			s--
		}
		if s == i || !isAlpha(text[s]) {
			return
		}
		u := i + 3
		at := runEnd(text, u, 512, isUserinfo)
		if at >= len(text) || text[at] != '@' || at-u > 512 {
			return
		}
		if at+1 >= len(text) || !(isAlnum(text[at+1]) || text[at+1] == '[') {
			return
		}
		colon := strings.IndexByte(text[u:at], ':')
		if colon < 0 {
			return
		}
		pass := text[u+colon+1 : at]
		if pass == "" || placeholder(pass) {
			return
		}
		emit(Match{Detector: DetectorURLPassword, Type: schemas.DataPassword, Start: s, End: at + 1, Confidence: 0.9})
	})
}

// placeholder reports a password that is a template variable or a mask.
func placeholder(p string) bool {
	if strings.Trim(p, "*xX.•") == "" {
		return true
	}
	return strings.HasPrefix(p, "${") || strings.HasPrefix(p, "{{") || strings.HasPrefix(p, "%(") ||
		strings.HasPrefix(p, "$") && len(p) > 1 && isUpper(p[1])
}

func isEmailLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// scanEmail finds e-mail addresses: a local part, "@", and a domain of at
// least two labels ending in an alphabetic top-level domain. The userinfo of
// a URL (scheme://user:pass@host) is not an address.
func scanEmail(text string, emit func(Match)) {
	for off := 0; off < len(text); {
		j := strings.IndexByte(text[off:], '@')
		if j < 0 {
			return
		}
		at := off + j
		off = at + 1
		s := at
		for s > 0 && at-s <= 64 && isEmailLocal(text[s-1]) {
			s--
		}
		if s > 0 && isEmailLocal(text[s-1]) {
			continue // a local part longer than 64 bytes
		}
		for s < at && text[s] == '.' {
			s++
		}
		if s == at || text[at-1] == '.' {
			continue
		}
		if s > 0 && (text[s-1] == ':' || text[s-1] == '/') && inURL(text, s-1) {
			continue
		}
		end, ok := domainEnd(text, at+1)
		if !ok {
			continue
		}
		emit(Match{Detector: DetectorEmail, Type: schemas.DataEmailAddress, Start: s, End: end, Confidence: 0.9})
		off = end
	}
}

// inURL reports whether the token holding text[i] contains "://" before i.
func inURL(text string, i int) bool {
	for k := i; k >= 2 && i-k < 256; k-- {
		c := text[k]
		if c == ' ' || c == '\n' || c == '\t' || c == '"' || c == '\'' {
			return false
		}
		if c == '/' && text[k-1] == '/' && text[k-2] == ':' {
			return true
		}
	}
	return false
}

// domainEnd returns the end of a domain name starting at i: labels of
// [A-Za-z0-9-] joined by dots, at least two, the last alphabetic and at
// least two letters long.
func domainEnd(text string, i int) (int, bool) {
	labels, end, lastAlpha, lastLen := 0, i, false, 0
	for k := i; k < len(text) && k-i <= 253; {
		e := runEnd(text, k, 63, func(c byte) bool { return isAlnum(c) || c == '-' })
		if e == k || text[k] == '-' || text[e-1] == '-' {
			break
		}
		labels++
		end = e
		lastLen = e - k
		lastAlpha = true
		for _, c := range []byte(text[k:e]) {
			if !isAlpha(c) {
				lastAlpha = false
				break
			}
		}
		if e+1 < len(text) && text[e] == '.' && isAlnum(text[e+1]) {
			k = e + 1
			continue
		}
		break
	}
	if labels < 2 || !lastAlpha || lastLen < 2 || (end < len(text) && isWord(text[end])) {
		return 0, false
	}
	return end, true
}

// scanIDs finds the identifiers made of digits (payment cards, US social
// security numbers) or starting with two capitals (IBANs, UK National
// Insurance numbers) in one pass that skips eight bytes at a time while
// they hold neither a digit nor a capital.
func scanIDs(text string, cards, ssns, ibans, ninos bool, emit func(Match)) {
	for i := 0; i < len(text); {
		i = skipPlain(text, i)
		if i >= len(text) {
			return
		}
		if isDigit(text[i]) {
			i = numberRun(text, i, cards, ssns, emit)
			continue
		}
		if i+2 < len(text) && isUpper(text[i+1]) && boundaryBefore(text, i) {
			if ibans {
				if end, ok := iban(text, i); ok {
					emit(Match{Detector: DetectorIBAN, Type: schemas.DataBankAccount, Start: i, End: end, Confidence: 0.95})
					i = end
					continue
				}
			}
			if ninos {
				if end, ok := nino(text, i); ok {
					emit(Match{Detector: DetectorUKNINO, Type: schemas.DataNationalID, Start: i, End: end, Confidence: 0.85})
					i = end
					continue
				}
			}
		}
		i++
	}
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// hasBetween returns non-zero when a byte b of x has m < b < n, for m and n
// at most 128 (bytes of 128 and above never count): "Determine if a word
// has a byte between m and n", Bit Twiddling Hacks.
func hasBetween(x, m, n uint64) uint64 {
	return (lsb*(127+n) - x&(lsb*127)) & ^x & (x&(lsb*127) + lsb*(127-m)) & msb
}

// skipPlain returns the offset of the first digit or capital at or after i,
// or len(text).
func skipPlain(text string, i int) int {
	for i+8 <= len(text) {
		x := uint64(text[i]) | uint64(text[i+1])<<8 | uint64(text[i+2])<<16 | uint64(text[i+3])<<24 |
			uint64(text[i+4])<<32 | uint64(text[i+5])<<40 | uint64(text[i+6])<<48 | uint64(text[i+7])<<56
		if hasBetween(x, '0'-1, '9'+1)|hasBetween(x, 'A'-1, 'Z'+1) != 0 {
			break
		}
		i += 8
	}
	for i < len(text) && !isDigit(text[i]) && !isUpper(text[i]) {
		i++
	}
	return i
}

// numberRun looks for payment card numbers and US social security numbers
// in the run of digits starting at text[i], optionally grouped by single
// spaces or dashes, and returns the end of the run. A run glued to letters
// (an identifier, a hash) or to a decimal point is skipped.
func numberRun(text string, i int, cards, ssns bool, emit func(Match)) int {
	const maxGroups = 12
	start := i
	var groups [maxGroups]struct{ start, end, digits int }
	ng, nd, sep, j := 0, 0, byte(0), i
	overflow := false // more groups than a card or an SSN has
	for {
		g := runEnd(text, j, -1, isDigit)
		if ng < len(groups) {
			groups[ng] = struct{ start, end, digits int }{j, g, g - j}
		} else {
			overflow = true
		}
		ng++
		nd += g - j
		j = g
		if j+1 < len(text) && (text[j] == ' ' || text[j] == '-') && isDigit(text[j+1]) && (sep == 0 || sep == text[j]) {
			sep = text[j]
			j++
			continue
		}
		break
	}
	end := j
	glued := (start > 0 && (isWord(text[start-1]) || (text[start-1] == '.' && start > 1 && isDigit(text[start-2])))) ||
		(end < len(text) && (isWord(text[end]) || (text[end] == '.' && end+1 < len(text) && isDigit(text[end+1]))))
	if glued || overflow {
		return end
	}
	gs := groups[:ng]
	if sep == '-' && ng == 3 && gs[0].digits == 3 && gs[1].digits == 2 && gs[2].digits == 4 {
		if ssns && validSSN(text[gs[0].start:gs[0].end], text[gs[1].start:gs[1].end], text[gs[2].start:gs[2].end]) {
			conf := 0.75
			if keywordBefore(text, start, "ssn", "social security", "ss#") {
				conf = 0.95
			}
			emit(Match{Detector: DetectorUSSSN, Type: schemas.DataNationalID, Start: start, End: end, Confidence: conf})
		}
		return end
	}
	if !cards || nd < 13 {
		return end
	}
	// The longest card number on group boundaries, left to right.
	for a := 0; a < ng; {
		matched := false
		for b := ng; b > a; b-- {
			n := 0
			for _, g := range gs[a:b] {
				n += g.digits
			}
			if n < 13 || n > 19 {
				continue
			}
			var digits [19]byte
			k := 0
			for _, g := range gs[a:b] {
				k += copy(digits[k:], text[g.start:g.end])
			}
			if validCard(digits[:n]) {
				emit(Match{Detector: DetectorPaymentCard, Type: schemas.DataCreditCard, Start: gs[a].start, End: gs[b-1].end, Confidence: 0.9})
				a, matched = b, true
				break
			}
		}
		if !matched {
			a++
		}
	}
	return end
}

// keywordBefore reports whether one of words (lower case) appears in the
// 48 bytes before i, case-insensitively.
func keywordBefore(text string, i int, words ...string) bool {
	lo := strings.ToLower(text[max(0, i-48):i])
	for _, w := range words {
		if strings.Contains(lo, w) {
			return true
		}
	}
	return false
}

// iban reports the end of an IBAN starting at text[i].
func iban(text string, i int) (int, bool) {
	want, known := ibanLengths[text[i:i+2]]
	if !known || i+4 > len(text) || !isDigit(text[i+2]) || !isDigit(text[i+3]) {
		return 0, false
	}
	var buf [34]byte
	n, k := 0, i
	for k < len(text) && n < want {
		c := text[k]
		switch {
		case isUpper(c) || isDigit(c):
			buf[n] = c
			n++
			k++
		case c == ' ' && n%4 == 0 && k+1 < len(text) && (isUpper(text[k+1]) || isDigit(text[k+1])):
			k++ // printed form: a space after every four characters
		default:
			return 0, false
		}
	}
	if n != want || !boundaryAfter(text, k) {
		return 0, false
	}
	return k, ibanChecksum(buf[:n])
}

// nino reports the end of a UK National Insurance number starting at
// text[i]: two prefix letters, three pairs of digits, a suffix A to D,
// with optional single spaces between the parts.
func nino(text string, i int) (int, bool) {
	if !validNINOPrefix(text[i], text[i+1]) {
		return 0, false
	}
	k := i + 2
	space := func() {
		if k+1 < len(text) && text[k] == ' ' {
			k++
		}
	}
	for range 3 {
		space()
		if k+2 > len(text) || !isDigit(text[k]) || !isDigit(text[k+1]) {
			return 0, false
		}
		k += 2
	}
	space()
	if k >= len(text) || text[k] < 'A' || text[k] > 'D' {
		return 0, false
	}
	k++
	return k, boundaryAfter(text, k)
}

// scanSKKeys finds OpenAI ("sk-", "sk-proj-", "sk-svcacct-", "sk-admin-")
// and Anthropic ("sk-ant-") API keys.
func scanSKKeys(text string, openai, anthropic bool, emit func(Match)) {
	forEachAnchored(text, "sk-", 2, func(i int) {
		if i > 0 && isKeyChar(text[i-1]) {
			return
		}
		end := runEnd(text, i+3, -1, isKeyChar)
		body := text[i+3 : end]
		if strings.HasPrefix(body, "ant-") {
			if anthropic && len(body)-4 >= 40 {
				emit(Match{Detector: DetectorAnthropicKey, Type: schemas.DataAPIKey, Start: i, End: end, Confidence: 0.99})
			}
			return
		}
		if !openai || len(body) < 32 || !mixed(body) {
			return
		}
		conf := 0.8 // the "sk-" shape alone: OpenAI or a compatible provider
		if strings.HasPrefix(body, "proj-") || strings.HasPrefix(body, "svcacct-") ||
			strings.HasPrefix(body, "admin-") || strings.Contains(body, "T3BlbkFJ") {
			conf = 0.99
		}
		emit(Match{Detector: DetectorOpenAIKey, Type: schemas.DataAPIKey, Start: i, End: end, Confidence: conf})
	})
}

// mixed reports whether s has both letters and digits, as random key
// material does and words joined by dashes do not.
func mixed(s string) bool {
	var l, d bool
	for _, c := range []byte(s) {
		l = l || isAlpha(c)
		d = d || isDigit(c)
	}
	return l && d
}

// scanGitHub finds GitHub tokens: "ghp_", "gho_", "ghu_", "ghs_", "ghr_"
// with 36 alphanumerics, and fine-grained "github_pat_" tokens. Both are
// found from their first underscore.
func scanGitHub(text string, emit func(Match)) {
	forEach(text, "_", func(u int) {
		switch {
		case u >= 3 && text[u-3] == 'g' && text[u-2] == 'h' && strings.IndexByte("pousr", text[u-1]) >= 0:
			i := u - 3
			if !boundaryBefore(text, i) {
				return
			}
			end := runEnd(text, u+1, 40, isAlnum)
			if end-(u+1) == 36 && boundaryAfter(text, end) {
				emit(Match{Detector: DetectorGitHubToken, Type: schemas.DataAPIKey, Start: i, End: end, Confidence: 0.99})
			}
		case u >= 6 && strings.HasPrefix(text[u-6:], "github_pat_"):
			i := u - 6
			if !boundaryBefore(text, i) {
				return
			}
			end := runEnd(text, i+11, -1, isWord)
			if end-(i+11) >= 70 {
				emit(Match{Detector: DetectorGitHubToken, Type: schemas.DataAPIKey, Start: i, End: end, Confidence: 0.99})
			}
		}
	})
}

// scanSlack finds Slack bot and user tokens: "xoxb-" or "xoxp-" followed by
// dash-separated numeric ids and a secret.
func scanSlack(text string, emit func(Match)) {
	scanned := 0 // end of the last token examined: a candidate inside it is part of it
	forEach(text, "xox", func(i int) {
		if i < scanned || i+5 > len(text) || (text[i+3] != 'b' && text[i+3] != 'p') || text[i+4] != '-' || !boundaryBefore(text, i) {
			return
		}
		end := runEnd(text, i+5, -1, func(c byte) bool { return isAlnum(c) || c == '-' })
		scanned = end
		body := text[i+5 : end]
		if len(body) >= 20 && strings.Count(body, "-") >= 2 && isDigit(body[0]) {
			emit(Match{Detector: DetectorSlackToken, Type: schemas.DataAPIKey, Start: i, End: end, Confidence: 0.95})
		}
	})
}

// scanLabel finds a classification label on word boundaries (where the
// label starts or ends with a word character).
func scanLabel(text, label string, emit func(Match)) {
	checkBefore, checkAfter := isWord(label[0]), isWord(label[len(label)-1])
	forEach(text, label, func(i int) {
		if (!checkBefore || boundaryBefore(text, i)) && (!checkAfter || boundaryAfter(text, i+len(label))) {
			emit(Match{Detector: DetectorLabel, Type: schemas.DataConfidentialMarker, Start: i, End: i + len(label), Confidence: 0.9})
		}
	})
}
