package mapping

import (
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// kind is the type of an event field a mapping can set.
type kind uint8

const (
	kindString kind = iota
	kindEnum
	kindTime
	kindBool
	kindInt
	kindIP
)

// value is a converted value, ready to set.
type value struct {
	s string
	t time.Time
	b bool
	i int64
}

// target is an event field a mapping can set.
type target struct {
	name string
	kind kind
	// values lists the allowed values of an enum.
	values []string
	set    func(ev *schemas.Event, v value)
}

func str(name string, set func(ev *schemas.Event, s string)) target {
	return target{name: name, kind: kindString, set: func(ev *schemas.Event, v value) { set(ev, v.s) }}
}

func enum[T ~string](name string, values []T, set func(ev *schemas.Event, v T)) target {
	names := make([]string, len(values))
	for i, v := range values {
		names[i] = string(v)
	}
	return target{name: name, kind: kindEnum, values: names, set: func(ev *schemas.Event, v value) { set(ev, T(v.s)) }}
}

func count(name string, set func(ev *schemas.Event, n int64)) target {
	return target{name: name, kind: kindInt, set: func(ev *schemas.Event, v value) { set(ev, v.i) }}
}

// targets are the event fields a mapping can set, by name. Pipeline fields
// (id, observed_time, schema_version, raw), enrichment, features, labels,
// source.product (the mapping's product) and the prompt text (never kept
// by default) are not targets. Any "attributes.<key>" is a target too.
var targets = func() map[string]target {
	list := []target{
		{name: "time", kind: kindTime, set: func(ev *schemas.Event, v value) { ev.Time = v.t }},

		str("source.event_id", func(ev *schemas.Event, s string) { ev.Source.EventID = s }),
		str("source.account", func(ev *schemas.Event, s string) { ev.Source.Account = s }),
		str("source.tenant", func(ev *schemas.Event, s string) { ev.Source.Tenant = s }),
		str("source.org", func(ev *schemas.Event, s string) { ev.Source.Org = s }),
		str("source.project", func(ev *schemas.Event, s string) { ev.Source.Project = s }),
		str("source.region", func(ev *schemas.Event, s string) { ev.Source.Region = s }),

		str("identity.id", func(ev *schemas.Event, s string) { ev.Identity.ID = s }),
		enum("identity.kind", schemas.IdentityKinds(), func(ev *schemas.Event, k schemas.IdentityKind) { ev.Identity.Kind = k }),
		str("identity.provider", func(ev *schemas.Event, s string) { ev.Identity.Provider = s }),
		str("identity.account", func(ev *schemas.Event, s string) { ev.Identity.Account = s }),
		enum("identity.account_type", schemas.AccountTypes(), func(ev *schemas.Event, t schemas.AccountType) { ev.Identity.AccountType = t }),
		str("identity.type", func(ev *schemas.Event, s string) { ev.Identity.Type = s }),
		str("identity.uid", func(ev *schemas.Event, s string) { ev.Identity.UID = s }),
		str("identity.name", func(ev *schemas.Event, s string) { ev.Identity.Name = s }),
		str("identity.display_name", func(ev *schemas.Event, s string) { ev.Identity.DisplayName = s }),
		str("identity.email", func(ev *schemas.Event, s string) { ev.Identity.Email = s }),
		str("identity.owner", func(ev *schemas.Event, s string) { ev.Identity.Owner = s }),
		str("identity.credential_id", func(ev *schemas.Event, s string) { ev.Identity.CredentialID = s }),

		str("session.id", func(ev *schemas.Event, s string) { ev.Session.ID = s }),
		{name: "session.mfa", kind: kindBool, set: func(ev *schemas.Event, v value) { ev.Session.MFA = v.b }},
		{name: "session.issued_at", kind: kindTime, set: func(ev *schemas.Event, v value) { ev.Session.IssuedAt = v.t }},
		enum("session.credential_type", schemas.CredentialTypes(), func(ev *schemas.Event, c schemas.CredentialType) { ev.Session.CredentialType = c }),
		str("session.issuer", func(ev *schemas.Event, s string) { ev.Session.Issuer = s }),

		str("action.name", func(ev *schemas.Event, s string) { ev.Action.Name = s }),
		str("action.service", func(ev *schemas.Event, s string) { ev.Action.Service = s }),
		enum("action.verb", schemas.Verbs(), func(ev *schemas.Event, v schemas.Verb) { ev.Action.Verb = v }),
		enum("action.category", schemas.Categories(), func(ev *schemas.Event, c schemas.Category) { ev.Action.Category = c }),

		str("target.type", func(ev *schemas.Event, s string) { ev.Target.Type = s }),
		str("target.id", func(ev *schemas.Event, s string) { ev.Target.ID = s }),
		str("target.name", func(ev *schemas.Event, s string) { ev.Target.Name = s }),
		enum("target.environment", schemas.Environments(), func(ev *schemas.Event, e schemas.Environment) { ev.Target.Environment = e }),
		enum("target.sensitivity", schemas.Sensitivities(), func(ev *schemas.Event, s schemas.Sensitivity) { ev.Target.Sensitivity = s }),
		str("target.tenant", func(ev *schemas.Event, s string) { ev.Target.Tenant = s }),

		enum("outcome", schemas.Outcomes(), func(ev *schemas.Event, o schemas.Outcome) { ev.Outcome = o }),
		str("error.code", func(ev *schemas.Event, s string) { ev.Error.Code = s }),
		str("error.message", func(ev *schemas.Event, s string) { ev.Error.Message = s }),

		{name: "network.source_ip", kind: kindIP, set: func(ev *schemas.Event, v value) { ev.Network.SourceIP = v.s }},
		str("network.user_agent", func(ev *schemas.Event, s string) { ev.Network.UserAgent = s }),

		count("volume.bytes_in", func(ev *schemas.Event, n int64) { ev.Volume.BytesIn = n }),
		count("volume.bytes_out", func(ev *schemas.Event, n int64) { ev.Volume.BytesOut = n }),
		count("volume.records", func(ev *schemas.Event, n int64) { ev.Volume.Records = n }),
		count("volume.tokens_in", func(ev *schemas.Event, n int64) { ev.Volume.TokensIn = n }),
		count("volume.tokens_out", func(ev *schemas.Event, n int64) { ev.Volume.TokensOut = n }),

		str("ai.provider", func(ev *schemas.Event, s string) { ev.AI.Provider = s }),
		str("ai.service", func(ev *schemas.Event, s string) { ev.AI.Service = s }),
		str("ai.model", func(ev *schemas.Event, s string) { ev.AI.Model = s }),
		str("ai.tool", func(ev *schemas.Event, s string) { ev.AI.Tool = s }),
		count("ai.prompt.length", func(ev *schemas.Event, n int64) { ev.AI.Prompt.Length = n }),
		count("ai.prompt.tokens", func(ev *schemas.Event, n int64) { ev.AI.Prompt.Tokens = n }),
		count("ai.prompt.attachments", func(ev *schemas.Event, n int64) { ev.AI.Prompt.Attachments = int32(min(n, math.MaxInt32)) }),
		str("ai.prompt.hash", func(ev *schemas.Event, s string) { ev.AI.Prompt.Hash = s }),
		str("ai.prompt.language", func(ev *schemas.Event, s string) { ev.AI.Prompt.Language = s }),
	}
	m := make(map[string]target, len(list))
	for _, t := range list {
		m[t.name] = t
	}
	return m
}()

// attributesPrefix starts the targets that set ev.Attributes.
const attributesPrefix = "attributes."

// Targets returns the names of the event fields a mapping can set, sorted;
// "attributes.<key>" sets any attribute.
func Targets() []string {
	names := make([]string, 0, len(targets)+1)
	for name := range targets {
		names = append(names, name)
	}
	names = append(names, attributesPrefix+"<key>")
	slices.Sort(names)
	return names
}

// lookupTarget returns the target of name, including attributes.<key>.
func lookupTarget(name string) (target, bool) {
	if t, ok := targets[name]; ok {
		return t, true
	}
	key, ok := strings.CutPrefix(name, attributesPrefix)
	if !ok || key == "" {
		return target{}, false
	}
	return target{name: name, kind: kindString, set: func(ev *schemas.Event, v value) {
		if ev.Attributes == nil {
			ev.Attributes = make(map[string]string, 4)
		}
		ev.Attributes[key] = v.s
	}}, true
}

// timeFormat is how a time field is written in the source.
type timeFormat string

// Time formats.
const (
	formatRFC3339 timeFormat = "rfc3339"
	formatUnix    timeFormat = "unix"
	formatUnixMS  timeFormat = "unix_ms"
)

var timeFormats = []timeFormat{formatRFC3339, formatUnix, formatUnixMS}

// convert turns the text of a source value into a value of t's kind, or
// returns what is wrong with it.
func (t target) convert(s string, format timeFormat) (value, string) {
	switch t.kind {
	case kindEnum:
		if !slices.Contains(t.values, s) {
			return value{}, strconv.Quote(s) + " is not one of " + strings.Join(t.values, ", ")
		}
		return value{s: s}, ""
	case kindTime:
		return parseTime(s, format)
	case kindBool:
		switch strings.ToLower(s) {
		case "true", "yes", "1":
			return value{b: true}, ""
		case "false", "no", "0", "":
			return value{b: false}, ""
		}
		return value{}, strconv.Quote(s) + " is not a boolean"
	case kindInt:
		return parseCount(s)
	case kindIP:
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return value{}, strconv.Quote(s) + " is not an IP address"
		}
		return value{s: ip.Unmap().WithZone("").String()}, ""
	}
	return value{s: s}, ""
}

// parseTime reads s in format: RFC 3339, or seconds or milliseconds since
// the Unix epoch, whole or fractional.
func parseTime(s string, format timeFormat) (value, string) {
	switch format {
	case formatUnix, formatUnixMS:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return value{}, strconv.Quote(s) + " is not a number of " + unitName(format) + " since the Unix epoch"
		}
		if format == formatUnix {
			f *= 1e3
		}
		if math.Abs(f) > 1e15 { // beyond the year 33000: not a time
			return value{}, strconv.Quote(s) + " is out of range"
		}
		ms := math.Floor(f)
		ns := int64(math.Round((f - ms) * 1e6))
		return value{t: time.UnixMilli(int64(ms)).Add(time.Duration(ns)).UTC()}, ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return value{}, strconv.Quote(s) + " is not an RFC 3339 time"
	}
	return value{t: t.UTC()}, ""
}

func unitName(f timeFormat) string {
	if f == formatUnixMS {
		return "milliseconds"
	}
	return "seconds"
}

// parseCount reads a non-negative count, whole or fractional (truncated).
func parseCount(s string) (value, string) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return value{}, "negative: " + s
		}
		return value{i: n}, ""
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return value{}, strconv.Quote(s) + " is not a number"
	}
	if f < 0 {
		return value{}, "negative: " + s
	}
	if f >= math.MaxInt64 {
		return value{}, s + " is too large"
	}
	return value{i: int64(f)}, ""
}
