package okta

import (
	"strings"
	"sync"
)

// countryNames lists ISO 3166-1 alpha-2 codes with the English country
// names geolocation databases use (Okta's client.geographicalContext.country
// is a full name, such as "United States"), and common alternative names.
const countryNames = "AD:Andorra|AE:United Arab Emirates|AF:Afghanistan|AG:Antigua and Barbuda|" +
	"AI:Anguilla|AL:Albania|AM:Armenia|AO:Angola|AQ:Antarctica|AR:Argentina|AS:American Samoa|" +
	"AT:Austria|AU:Australia|AW:Aruba|AX:Åland|AX:Aland Islands|AZ:Azerbaijan|" +
	"BA:Bosnia and Herzegovina|BB:Barbados|BD:Bangladesh|BE:Belgium|BF:Burkina Faso|BG:Bulgaria|" +
	"BH:Bahrain|BI:Burundi|BJ:Benin|BL:Saint Barthélemy|BM:Bermuda|BN:Brunei|BO:Bolivia|" +
	"BQ:Bonaire, Sint Eustatius, and Saba|BR:Brazil|BS:Bahamas|BT:Bhutan|BW:Botswana|BY:Belarus|" +
	"BZ:Belize|CA:Canada|CC:Cocos (Keeling) Islands|CD:DR Congo|CD:Congo, The Democratic Republic of the|" +
	"CD:Democratic Republic of the Congo|CF:Central African Republic|CG:Congo Republic|CG:Congo|" +
	"CH:Switzerland|CI:Ivory Coast|CI:Côte d'Ivoire|CK:Cook Islands|CL:Chile|CM:Cameroon|CN:China|" +
	"CO:Colombia|CR:Costa Rica|CU:Cuba|CV:Cabo Verde|CV:Cape Verde|CW:Curaçao|CX:Christmas Island|" +
	"CY:Cyprus|CZ:Czechia|CZ:Czech Republic|DE:Germany|DJ:Djibouti|DK:Denmark|DM:Dominica|" +
	"DO:Dominican Republic|DZ:Algeria|EC:Ecuador|EE:Estonia|EG:Egypt|EH:Western Sahara|ER:Eritrea|" +
	"ES:Spain|ET:Ethiopia|FI:Finland|FJ:Fiji|FK:Falkland Islands|FM:Federated States of Micronesia|" +
	"FM:Micronesia|FO:Faroe Islands|FR:France|GA:Gabon|GB:United Kingdom|GB:Great Britain|GD:Grenada|" +
	"GE:Georgia|GF:French Guiana|GG:Guernsey|GH:Ghana|GI:Gibraltar|GL:Greenland|GM:Gambia|GN:Guinea|" +
	"GP:Guadeloupe|GQ:Equatorial Guinea|GR:Greece|GS:South Georgia and the South Sandwich Islands|" +
	"GT:Guatemala|GU:Guam|GW:Guinea-Bissau|GY:Guyana|HK:Hong Kong|HN:Honduras|HR:Croatia|HT:Haiti|" +
	"HU:Hungary|ID:Indonesia|IE:Ireland|IL:Israel|IM:Isle of Man|IN:India|" +
	"IO:British Indian Ocean Territory|IQ:Iraq|IR:Iran|IS:Iceland|IT:Italy|JE:Jersey|JM:Jamaica|" +
	"JO:Jordan|JP:Japan|KE:Kenya|KG:Kyrgyzstan|KH:Cambodia|KI:Kiribati|KM:Comoros|" +
	"KN:St Kitts and Nevis|KN:Saint Kitts and Nevis|KP:North Korea|KR:South Korea|KR:Korea|" +
	"KR:Republic of Korea|KW:Kuwait|KY:Cayman Islands|KZ:Kazakhstan|LA:Laos|LB:Lebanon|" +
	"LC:Saint Lucia|LI:Liechtenstein|LK:Sri Lanka|LR:Liberia|LS:Lesotho|LT:Lithuania|LU:Luxembourg|" +
	"LV:Latvia|LY:Libya|MA:Morocco|MC:Monaco|MD:Moldova|ME:Montenegro|MF:Saint Martin|MG:Madagascar|" +
	"MH:Marshall Islands|MK:North Macedonia|MK:Macedonia|ML:Mali|MM:Myanmar|MN:Mongolia|MO:Macao|" +
	"MO:Macau|MP:Northern Mariana Islands|MQ:Martinique|MR:Mauritania|MS:Montserrat|MT:Malta|" +
	"MU:Mauritius|MV:Maldives|MW:Malawi|MX:Mexico|MY:Malaysia|MZ:Mozambique|NA:Namibia|" +
	"NC:New Caledonia|NE:Niger|NF:Norfolk Island|NG:Nigeria|NI:Nicaragua|NL:Netherlands|" +
	"NL:The Netherlands|NO:Norway|NP:Nepal|NR:Nauru|NU:Niue|NZ:New Zealand|OM:Oman|PA:Panama|PE:Peru|" +
	"PF:French Polynesia|PG:Papua New Guinea|PH:Philippines|PK:Pakistan|PL:Poland|" +
	"PM:Saint Pierre and Miquelon|PN:Pitcairn Islands|PR:Puerto Rico|PS:Palestine|PT:Portugal|" +
	"PW:Palau|PY:Paraguay|QA:Qatar|RE:Réunion|RO:Romania|RS:Serbia|RU:Russia|" +
	"RU:Russian Federation|RW:Rwanda|SA:Saudi Arabia|SB:Solomon Islands|SC:Seychelles|SD:Sudan|" +
	"SE:Sweden|SG:Singapore|SH:Saint Helena|SI:Slovenia|SJ:Svalbard and Jan Mayen|SK:Slovakia|" +
	"SL:Sierra Leone|SM:San Marino|SN:Senegal|SO:Somalia|SR:Suriname|SS:South Sudan|" +
	"ST:São Tomé and Príncipe|SV:El Salvador|SX:Sint Maarten|SY:Syria|SZ:Eswatini|SZ:Swaziland|" +
	"TC:Turks and Caicos Islands|TD:Chad|TF:French Southern Territories|TG:Togo|TH:Thailand|" +
	"TJ:Tajikistan|TK:Tokelau|TL:Timor-Leste|TL:East Timor|TM:Turkmenistan|TN:Tunisia|TO:Tonga|" +
	"TR:Türkiye|TR:Turkey|TT:Trinidad and Tobago|TV:Tuvalu|TW:Taiwan|TZ:Tanzania|UA:Ukraine|" +
	"UG:Uganda|UM:U.S. Outlying Islands|US:United States|US:United States of America|US:USA|" +
	"UY:Uruguay|UZ:Uzbekistan|VA:Vatican City|VA:Holy See|VC:St Vincent and Grenadines|" +
	"VC:Saint Vincent and the Grenadines|VE:Venezuela|VG:British Virgin Islands|" +
	"VI:U.S. Virgin Islands|VN:Vietnam|VN:Viet Nam|VU:Vanuatu|WF:Wallis and Futuna|WS:Samoa|" +
	"XK:Kosovo|YE:Yemen|YT:Mayotte|ZA:South Africa|ZM:Zambia|ZW:Zimbabwe"

var countryIndex = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, 600)
	for _, entry := range strings.Split(countryNames, "|") {
		code, name, _ := strings.Cut(entry, ":")
		m[name] = code
		m[strings.ToLower(name)] = code
	}
	return m
})

// countryCode returns the ISO 3166-1 alpha-2 code of a country name, the
// name itself when it already is a two-letter code, and "" when unknown.
func countryCode(name string) string {
	if name == "" {
		return ""
	}
	if len(name) == 2 && isUpper(name[0]) && isUpper(name[1]) {
		return name
	}
	if code, ok := countryIndex()[name]; ok {
		return code
	}
	return countryIndex()[strings.ToLower(name)]
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
