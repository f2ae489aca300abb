// Package rest calls a provider's JSON REST API for a connector and maps
// every failure to a responder.ProviderError: the provider's own error code
// and message, and whether the responder may retry (throttling, timeouts,
// 5xx, transport errors), with the wait the provider asked for.
package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aitdr/aitdr/responder"
)

// maxBody bounds a response body read; list answers of a large cluster or
// organization stay well under it.
const maxBody = 64 << 20

// Client calls one provider's API. Its fields are set once, before use;
// it is then safe for concurrent use.
type Client struct {
	// Connector names the connector in errors.
	Connector string
	// BaseURL is prefixed to every Call.Path, without a trailing slash.
	BaseURL string
	// HTTP sends the requests. Default http.DefaultClient.
	HTTP *http.Client
	// Authorize sets the credentials of a request. Optional.
	Authorize func(ctx context.Context, r *http.Request) error
	// Header is set on every request (Accept, API version headers).
	Header http.Header
	// ErrorCode decodes the provider's error document into its code and
	// message; empty results keep the HTTP status text.
	ErrorCode func(body []byte) (code, message string)
	// Throttled reports a throttling answer that the status alone does not
	// show (a 403 with an exhausted rate limit), with the wait the
	// provider asked for (0 when it did not say). Optional.
	Throttled func(status int, h http.Header, now time.Time) (wait time.Duration, throttled bool)
	// Now is the clock of rate-limit reset times. Default time.Now.
	Now func() time.Time
}

// Call is one request.
type Call struct {
	// Op names the provider operation in errors, such as
	// "okta:SuspendUser".
	Op string
	// Method is the HTTP method.
	Method string
	// Path is appended to BaseURL; URL, when set, is used instead (a
	// pagination link).
	Path string
	// URL is an absolute URL that replaces BaseURL and Path.
	URL string
	// Query is the query string.
	Query url.Values
	// Body is sent as JSON when not nil; a []byte is sent as it is.
	Body any
	// ContentType of Body. Default application/json.
	ContentType string
	// Out receives the JSON answer of a 2xx status, when not nil.
	Out any
	// Also are statuses besides 2xx that are not errors (a 404 of a
	// delete that already happened); their body is not decoded.
	Also []int
}

// Response is the status and header of an answer.
type Response struct {
	// Status is the HTTP status.
	Status int
	// Header is the answer's header.
	Header http.Header
}

// Do sends call and decodes its answer. It returns a *responder.ProviderError
// (possibly wrapped with a RetryAfter method) for an answer outside 2xx and
// Also, and for a transport failure; the context's error when ctx ended.
func (c *Client) Do(ctx context.Context, call Call) (Response, error) {
	target := call.URL
	if target == "" {
		target = c.BaseURL + call.Path
	}
	if len(call.Query) > 0 {
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + call.Query.Encode()
	}
	var body io.Reader
	if call.Body != nil {
		b, ok := call.Body.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(call.Body); err != nil {
				return Response{}, fmt.Errorf("%s %s: encode body: %w", c.Connector, call.Op, err)
			}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, call.Method, target, body)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", c.Connector, call.Op, err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if call.Body != nil {
		ct := call.ContentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.Authorize != nil {
		if err := c.Authorize(ctx, req); err != nil {
			return Response{}, err
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Response{}, fmt.Errorf("%s %s: %w", c.Connector, call.Op, ctx.Err())
		}
		return Response{}, &responder.ProviderError{
			Connector: c.Connector, Op: call.Op, Code: "transport", Message: err.Error(), Retryable: true,
		}
	}
	defer resp.Body.Close()
	out := Response{Status: resp.StatusCode, Header: resp.Header}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if ctx.Err() != nil {
			return out, fmt.Errorf("%s %s: %w", c.Connector, call.Op, ctx.Err())
		}
		return out, &responder.ProviderError{
			Connector: c.Connector, Op: call.Op, Status: resp.StatusCode, Code: "transport",
			Message: "read answer: " + err.Error(), Retryable: true,
		}
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	for _, s := range call.Also {
		if resp.StatusCode == s {
			return out, nil
		}
	}
	if ok {
		if call.Out != nil && len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, call.Out); err != nil {
				return out, &responder.ProviderError{
					Connector: c.Connector, Op: call.Op, Status: resp.StatusCode, Code: "bad_answer",
					Message: "decode answer: " + err.Error(),
				}
			}
		}
		return out, nil
	}
	return out, c.failure(call.Op, resp.StatusCode, resp.Header, data)
}

// failure builds the error of a non-2xx answer.
func (c *Client) failure(op string, status int, h http.Header, body []byte) error {
	pe := &responder.ProviderError{Connector: c.Connector, Op: op, Status: status}
	if c.ErrorCode != nil {
		pe.Code, pe.Message = c.ErrorCode(body)
	}
	if pe.Code == "" {
		pe.Code = strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
	}
	if pe.Message == "" {
		pe.Message = strings.TrimSpace(string(body[:min(len(body), 512)]))
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	var wait time.Duration
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		pe.Retryable = true
		wait = RetryAfterHeader(h, now())
	}
	if c.Throttled != nil {
		if w, ok := c.Throttled(status, h, now()); ok {
			pe.Retryable = true
			if w > 0 {
				wait = w
			}
		}
	}
	if pe.Retryable && wait > 0 {
		return &RetryAfterError{Err: pe, Wait: wait}
	}
	return pe
}

// RetryAfterError is a retryable provider error with the wait the provider
// asked for before the next attempt. The responder finds it with errors.As
// or through the method RetryAfter; errors.As finds the ProviderError
// inside too.
type RetryAfterError struct {
	// Err is the provider's error.
	Err *responder.ProviderError
	// Wait is how long the provider asked to wait.
	Wait time.Duration
}

func (e *RetryAfterError) Error() string {
	return e.Err.Error() + " (retry after " + e.Wait.String() + ")"
}

// Unwrap returns the ProviderError.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns the wait the provider asked for.
func (e *RetryAfterError) RetryAfter() time.Duration { return e.Wait }

// RetryAfterHeader returns the wait of a Retry-After header, in seconds or
// as an HTTP date, or 0.
func RetryAfterHeader(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// UntilUnix returns the wait until an epoch-seconds reset header (Okta's
// X-Rate-Limit-Reset, GitHub's x-ratelimit-reset), or 0.
func UntilUnix(v string, now time.Time) time.Duration {
	s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0
	}
	if d := time.Unix(s, 0).Sub(now); d > 0 {
		return d
	}
	return 0
}

// NextLink returns the rel="next" URL of an RFC 8288 Link header, or "".
func NextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for link := range strings.SplitSeq(v, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(link), ";")
			if !ok {
				continue
			}
			for p := range strings.SplitSeq(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(k, "rel") && strings.Trim(val, `"`) == "next" {
					return strings.Trim(strings.TrimSpace(target), "<>")
				}
			}
		}
	}
	return ""
}

// IsStatus reports whether err is a ProviderError of HTTP status s.
func IsStatus(err error, s int) bool {
	var pe *responder.ProviderError
	return errors.As(err, &pe) && pe.Status == s
}
