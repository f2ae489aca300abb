package srcjson

import "net/netip"

// CanonicalIP returns the IP address s in canonical text form, an
// IPv4-mapped IPv6 address as IPv4, and false when s is not an IP address.
// It returns s itself when s is canonical already.
func CanonicalIP(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	a = a.Unmap()
	if c := a.String(); c != s {
		return c, true
	}
	return s, true
}
