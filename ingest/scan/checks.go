package scan

// luhn reports whether digits (ASCII) pass the Luhn check.
func luhn(digits []byte) bool {
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// prefixIn reports whether the number made of the first len(lo) digits of
// d lies in [lo, hi] (lo and hi of equal length).
func prefixIn(d []byte, lo, hi string) bool {
	if len(d) < len(lo) {
		return false
	}
	p := string(d[:len(lo)])
	return p >= lo && p <= hi
}

// validCard reports whether digits are a payment card number: a known
// issuer identification number (IIN) prefix with a length that issuer
// uses, and a passing Luhn check.
func validCard(d []byte) bool {
	n := len(d)
	known := false
	switch {
	case d[0] == '4': // Visa
		known = n == 13 || n == 16 || n == 19
	case prefixIn(d, "51", "55"), prefixIn(d, "2221", "2720"): // Mastercard
		known = n == 16
	case prefixIn(d, "34", "34"), prefixIn(d, "37", "37"): // American Express
		known = n == 15
	case prefixIn(d, "6011", "6011"), prefixIn(d, "644", "649"), prefixIn(d, "65", "65"): // Discover
		known = n >= 16 && n <= 19
	case prefixIn(d, "3528", "3589"): // JCB
		known = n >= 16 && n <= 19
	case prefixIn(d, "300", "305"), prefixIn(d, "36", "36"), prefixIn(d, "38", "39"): // Diners Club
		known = n >= 14 && n <= 19
	case prefixIn(d, "62", "62"): // UnionPay
		known = n >= 16 && n <= 19
	case prefixIn(d, "2200", "2204"): // Mir
		known = n >= 16 && n <= 19
	case prefixIn(d, "50", "50"), prefixIn(d, "56", "58"), prefixIn(d, "6304", "6304"),
		prefixIn(d, "6759", "6759"), prefixIn(d, "676", "676"): // Maestro
		known = n >= 13 && n <= 19
	}
	return known && luhn(d)
}

// validSSN reports whether area-group-serial is a US social security
// number that can have been issued: area not 000, 666 or 900-999, group not
// 00, serial not 0000, and none of the numbers known from advertising and
// examples.
func validSSN(area, group, serial string) bool {
	if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" {
		return false
	}
	switch area + group + serial {
	case "078051120", "219099999", "123456789":
		return false
	}
	return true
}

// validNINOPrefix reports whether a and b can start a UK National Insurance
// number: neither letter D, F, I, Q, U or V, the second not O, and not one
// of the prefixes never allocated (BG, GB, KN, NK, NT, TN, ZZ).
func validNINOPrefix(a, b byte) bool {
	bad := func(c byte) bool {
		switch c {
		case 'D', 'F', 'I', 'Q', 'U', 'V':
			return true
		}
		return false
	}
	if bad(a) || bad(b) || b == 'O' {
		return false
	}
	switch string([]byte{a, b}) {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return false
	}
	return true
}

// ibanLengths is the length of an IBAN per country (ISO 13616 registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
	"BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
	"DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
	"GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
	"IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
	"LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
	"MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
	"PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
	"SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// ibanChecksum reports whether iban (upper-case letters and digits, no
// spaces) passes the ISO 7064 mod-97 check: the first four characters moved
// to the end, letters as 10 to 35, the number mod 97 is 1.
func ibanChecksum(iban []byte) bool {
	if len(iban) < 5 {
		return false
	}
	r := 0
	add := func(c byte) {
		if isDigit(c) {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	for _, c := range iban[4:] {
		add(c)
	}
	for _, c := range iban[:4] {
		add(c)
	}
	return r == 1
}
