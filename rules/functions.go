package rules

import (
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/expr-lang/expr"

	"github.com/aitdr/aitdr/schemas"

	"github.com/aitdr/aitdr/internal/glob"
)

// baseOptions are the compile options every rule expression shares: the
// typed environment and the typed functions of the rule language.
var baseOptions = []expr.Option{
	// A struct value, not a pointer: the compiler then reads env fields by
	// index path (OpLoadField) rather than by name at run time. Programs run
	// on a *schemas.Event all the same.
	expr.Env(schemas.Event{}),
	expr.MaxNodes(5000),
	expr.Function("cidr", func(p ...any) (any, error) {
		ip := p[0].(string)
		for _, c := range p[1:] {
			prefix, err := parsePrefix(c.(string))
			if err != nil {
				return false, fmt.Errorf("cidr: %w", err)
			}
			if prefixesContain([]netip.Prefix{prefix}, ip) {
				return true, nil
			}
		}
		return false, nil
	}, new(func(string, ...string) bool)),
	expr.Function("glob", func(p ...any) (any, error) {
		return glob.Match(p[1].(string), p[0].(string)), nil
	}, new(func(string, string) bool)),
	expr.Function("regex", func(p ...any) (any, error) {
		// Only reached if the namer left a call unrewritten, which it
		// reports as an error; kept for the type check.
		return false, fmt.Errorf("regex: the pattern must be a string literal")
	}, new(func(string, string) bool)),
	expr.Function("icontains", func(p ...any) (any, error) {
		return indexFold(p[0].(string), p[1].(string)) >= 0, nil
	}, new(func(string, string) bool)),
	expr.Function("istarts", func(p ...any) (any, error) {
		s, prefix := p[0].(string), p[1].(string)
		return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix), nil
	}, new(func(string, string) bool)),
	expr.Function("iends", func(p ...any) (any, error) {
		s, suffix := p[0].(string), p[1].(string)
		return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix), nil
	}, new(func(string, string) bool)),
	expr.Function("in_list", func(p ...any) (any, error) {
		return false, fmt.Errorf("in_list: the list name must be a string literal")
	}, new(func(string, string) bool)),
	expr.Function("has_finding", func(p ...any) (any, error) {
		return findingCount(p[0], p[1].(string)) > 0, nil
	}, new(func(any, string) bool)),
	expr.Function("finding_count", func(p ...any) (any, error) {
		return findingCount(p[0], p[1].(string)), nil
	}, new(func(any, string) int)),
	expr.Function("has_sensitive_finding", func(p ...any) (any, error) {
		ev, ok := p[0].(*schemas.Event)
		return ok && len(ev.AI.Findings) > 0, nil
	}, new(func(any) bool)),
	expr.Function("attr", func(p ...any) (any, error) {
		if ev, ok := p[0].(*schemas.Event); ok {
			return ev.Attributes[p[1].(string)], nil
		}
		return "", nil
	}, new(func(any, string) string)),
	expr.Function("label", func(p ...any) (any, error) {
		if ev, ok := p[0].(*schemas.Event); ok {
			return ev.Labels[p[1].(string)], nil
		}
		return "", nil
	}, new(func(any, string) string)),
	expr.Function("domain", func(p ...any) (any, error) {
		return emailDomain(p[0].(string)), nil
	}, new(func(string) string)),

	// Internal functions the namer and the enum patcher rewrite calls into.
	expr.Function("_in_set", func(p ...any) (any, error) {
		set := p[1].(map[string]struct{})
		s := p[0].(string)
		if _, ok := set[s]; ok {
			return true, nil
		}
		_, ok := set[strings.ToLower(s)]
		return ok, nil
	}, new(func(string, map[string]struct{}) bool)),
	expr.Function("_regex", func(p ...any) (any, error) {
		return p[1].(*cachedRegexp).match(p[0].(string)), nil
	}, new(func(string, *cachedRegexp) bool)),
	expr.Function("_glob", func(p ...any) (any, error) {
		return glob.Match(p[1].(globPattern).Pattern, p[0].(string)), nil
	}, new(func(string, globPattern) bool)),
	expr.Function("_cidr", func(p ...any) (any, error) {
		return prefixesContain(p[1].([]netip.Prefix), p[0].(string)), nil
	}, new(func(string, []netip.Prefix) bool)),
	expr.Function("_str", func(p ...any) (any, error) {
		return enumString(p[0]), nil
	}, new(func(any) string)),
}

// enumString returns the string of a named string type.
func enumString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case schemas.Outcome:
		return string(x)
	case schemas.Category:
		return string(x)
	case schemas.Verb:
		return string(x)
	case schemas.IdentityClass:
		return string(x)
	case schemas.Product:
		return string(x)
	case schemas.IdentityKind:
		return string(x)
	case schemas.AccountType:
		return string(x)
	case schemas.CredentialType:
		return string(x)
	case schemas.Environment:
		return string(x)
	case schemas.Sensitivity:
		return string(x)
	case schemas.AIServiceStatus:
		return string(x)
	case schemas.DataType:
		return string(x)
	case nil:
		return ""
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
		return rv.String()
	}
	return fmt.Sprint(v)
}

// findingCount returns the occurrences of findings of type typ in the
// event env's prompt or payload.
func findingCount(env any, typ string) int {
	ev, ok := env.(*schemas.Event)
	if !ok {
		return 0
	}
	n := 0
	for _, f := range ev.AI.Findings {
		if string(f.Type) == typ {
			n += max(int(f.Count), 1)
		}
	}
	return n
}

// emailDomain returns the part of an e-mail address after the last @, in
// lower case, or "".
func emailDomain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 || i == len(email)-1 {
		return ""
	}
	d := email[i+1:]
	for j := 0; j < len(d); j++ {
		if c := d[j]; 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf {
			return strings.ToLower(d)
		}
	}
	return d
}

// indexFold returns the index of the first case-insensitive occurrence of
// sub in s, or -1, without allocating for ASCII text.
func indexFold(s, sub string) int {
	if sub == "" {
		return 0
	}
	if !isASCII(s) || !isASCII(sub) {
		return strings.Index(strings.ToLower(s), strings.ToLower(sub))
	}
	n := len(sub)
	first := lowerASCII(sub[0])
	for i := 0; i+n <= len(s); i++ {
		if lowerASCII(s[i]) != first {
			continue
		}
		if strings.EqualFold(s[i:i+n], sub) {
			return i
		}
	}
	return -1
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// globPattern is a glob pattern compiled into a program: * matches any run
// of characters, ? any one character, everything else itself.
type globPattern struct {
	Pattern string
}

// MarshalText implements encoding.TextMarshaler, so that a compiled
// program prints its pattern.
func (g globPattern) MarshalText() ([]byte, error) { return []byte(g.Pattern), nil }

// cachedRegexp is a regular expression compiled at load with a bounded
// cache of its recent results: rules match the same identities, targets
// and user agents over and over, and a cache hit costs a map lookup where
// a match costs microseconds. It is safe for concurrent use.
type cachedRegexp struct {
	re    *regexp.Regexp
	mu    sync.Mutex
	cache map[string]bool
}

// regexpCacheSize bounds the results a cachedRegexp keeps; the cache
// starts over when it is full.
const regexpCacheSize = 4096

// regexpCacheMaxInput is the longest input whose result is cached.
const regexpCacheMaxInput = 256

func newCachedRegexp(re *regexp.Regexp) *cachedRegexp {
	return &cachedRegexp{re: re, cache: make(map[string]bool)}
}

func (c *cachedRegexp) match(s string) bool {
	if len(s) > regexpCacheMaxInput {
		return c.re.MatchString(s)
	}
	c.mu.Lock()
	v, ok := c.cache[s]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = c.re.MatchString(s)
	c.mu.Lock()
	if len(c.cache) >= regexpCacheSize {
		clear(c.cache)
	}
	c.cache[s] = v
	c.mu.Unlock()
	return v
}

// MarshalText implements encoding.TextMarshaler, so that a compiled
// program prints its pattern.
func (c *cachedRegexp) MarshalText() ([]byte, error) { return []byte(c.re.String()), nil }

// parsePrefix parses a CIDR range, or a single address as its /32 or /128.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR range such as 10.0.0.0/8", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR range", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// prefixesContain reports whether the address ip is in one of prefixes; an
// address that does not parse is in none.
func prefixesContain(prefixes []netip.Prefix, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
