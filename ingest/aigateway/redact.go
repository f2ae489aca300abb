package aigateway

import (
	"strings"
	"unicode/utf8"

	"github.com/aitdr/aitdr/ingest/srcjson"
)

// RedactContent rewrites every content field of record with replace; see
// RedactContentFields.
func (s *Source) RedactContent(record []byte, replace func(text string) string) ([]byte, error) {
	return s.RedactContentFields(record, func(_, text string) string { return replace(text) })
}

// RedactContentFields rewrites every content field of record with
// replace(field, text), where field is the field's path in the record
// ("messages[1].content", "response.choices[0].message.content"), and
// keeps every other byte as it is. Content is every string under the
// request and response parts of a record (messages, prompt, input,
// response, request, proxy_server_request) except the structural ones
// (role, type, model, ids, ...), and the MCP tool arguments and results
// and guardrail requests and responses, replaced whole. Whatever replace
// returns, credential headers (authorization, x-api-key, cookie, ...)
// become "[REDACTED]" and a raw API key in api_key is cut to its last four
// characters. An error names the byte offset where record is not JSON.
func (s *Source) RedactContentFields(record []byte, replace func(field, text string) string) ([]byte, error) {
	w := rewriter{
		whole: wholeContent,
		edit: func(path []pathElem, kind byte, raw []byte) ([]byte, bool) {
			switch {
			case kind == '"' && isCredentialHeader(path):
				return []byte(`"[REDACTED]"`), true
			case kind == '"' && len(path) == 1 && path[0].is("api_key"):
				v, _ := srcjson.AsString(raw)
				if r := redactedKey(v); r != v {
					return appendJSONString(nil, r), true
				}
				return nil, false
			case (kind == '{' || kind == '[') && wholeContent(path):
				return appendJSONString(nil, replace(pathString(path), string(raw))), true
			case kind == '"' && isContent(path):
				v, ok := srcjson.AsString(raw)
				if !ok || v == "" {
					return nil, false
				}
				return appendJSONString(nil, replace(pathString(path), v)), true
			}
			return nil, false
		},
	}
	return w.rewrite(record)
}

// contentRoots are the top-level members that hold request or response
// content.
var contentRoots = []string{"messages", "prompt", "input", "response", "request", "proxy_server_request"}

// structuralKeys name strings inside content that are not content.
var structuralKeys = []string{
	"role", "type", "name", "id", "model", "object", "finish_reason", "tool_call_id", "system_fingerprint",
	"user", "detail", "service_tier", "mime_type", "format", "status", "stop_reason", "call_id", "voice",
	"response_format", "tool_choice", "reasoning_effort",
}

// isContent reports whether the string at path is content.
func isContent(path []pathElem) bool {
	if len(path) == 0 || path[0].isIndex {
		return false
	}
	root := false
	for _, r := range contentRoots {
		if path[0].is(r) {
			root = true
			break
		}
	}
	if !root {
		return false
	}
	for _, e := range path[1:] {
		if e.isIndex {
			continue
		}
		if e.is("headers") || e.is("metadata") || e.is("usage") {
			return false
		}
	}
	last := path[len(path)-1]
	if last.isIndex {
		return true
	}
	for _, k := range structuralKeys {
		if last.is(k) {
			return false
		}
	}
	return true
}

// wholeContent reports an object or array replaced as a whole: the
// arguments and result of an MCP tool call, a guardrail's request and
// response.
func wholeContent(path []pathElem) bool {
	if len(path) == 0 {
		return false
	}
	last := path[len(path)-1]
	if last.is("guardrail_request") || last.is("guardrail_response") {
		return true
	}
	return len(path) >= 2 && path[len(path)-2].is("mcp_tool_call_metadata") && (last.is("arguments") || last.is("result"))
}

// credentialHeaders are request headers that carry secrets.
var credentialHeaders = []string{
	"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "set-cookie",
	"x-goog-api-key", "anthropic-api-key", "openai-api-key", "x-litellm-api-key", "x-amz-security-token",
}

// isCredentialHeader reports a header value that carries a secret.
func isCredentialHeader(path []pathElem) bool {
	if len(path) < 2 {
		return false
	}
	parent, name := path[len(path)-2], path[len(path)-1]
	if name.isIndex || !(parent.is("headers") || parent.is("requester_custom_headers")) {
		return false
	}
	for _, h := range credentialHeaders {
		if strings.EqualFold(string(name.key), h) {
			return true
		}
	}
	return false
}

// appendJSONString appends s to b as a JSON string, escaping quotes,
// backslashes, control characters and invalid UTF-8 (as U+FFFD).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
