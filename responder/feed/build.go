package feed

import (
	"fmt"
)

// Version is the aitdr version the syslog output names in its CEF header
// and origin structured data. The binary sets it at start.
var Version = "dev"

// build returns the configured outputs with their delivery settings.
func (c Config) build(o options) ([]extraOutput, error) {
	names := c.names()
	next := 0
	name := func() string {
		n := names[next][1]
		next++
		return n
	}
	var outs []extraOutput
	read := func(what string, s interface {
		Read(func(string) (string, bool)) (string, error)
	}) (string, error) {
		v, err := s.Read(o.lookupEnv)
		if err != nil {
			return "", fmt.Errorf("feed config: %s: %w", what, err)
		}
		return v, nil
	}
	for _, s := range c.Syslog {
		n := name()
		out, err := NewSyslog(s, n, Version)
		if err != nil {
			return nil, err
		}
		s.Delivery.Name = n
		outs = append(outs, extraOutput{out, s.Delivery})
	}
	for i, h := range c.HEC {
		n := name()
		tok, err := read(fmt.Sprintf("hec[%d].token", i), h.Token)
		if err != nil {
			return nil, err
		}
		out, err := NewHEC(h, n, tok)
		if err != nil {
			return nil, err
		}
		h.Delivery.Name = n
		outs = append(outs, extraOutput{out, h.Delivery})
	}
	for i, ch := range c.Chat {
		n := name()
		u, err := read(fmt.Sprintf("chat[%d].url", i), ch.URL)
		if err != nil {
			return nil, err
		}
		out, err := NewChat(n, u)
		if err != nil {
			return nil, err
		}
		ch.Delivery.Name = n
		outs = append(outs, extraOutput{out, ch.Delivery})
	}
	for i, e := range c.Email {
		n := name()
		pw := ""
		if e.Password.IsSet() {
			var err error
			if pw, err = read(fmt.Sprintf("email[%d].password", i), e.Password); err != nil {
				return nil, err
			}
		}
		out, err := NewEmail(e, n, pw, o.now)
		if err != nil {
			return nil, err
		}
		e.Delivery.Name = n
		outs = append(outs, extraOutput{out, e.Delivery})
	}
	for i, p := range c.Paging {
		n := name()
		key, err := read(fmt.Sprintf("paging[%d].routing_key", i), p.RoutingKey)
		if err != nil {
			return nil, err
		}
		out, err := NewPaging(p, n, key)
		if err != nil {
			return nil, err
		}
		p.Delivery.Name = n
		if p.MinSeverity == "" {
			p.MinSeverity = DefaultPagingMinSeverity
		}
		outs = append(outs, extraOutput{out, p.Delivery})
	}
	return outs, nil
}
