package feed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// httpClient returns a client for url u with the TLS of t.
func httpClient(u string, t TLSConfig) (*http.Client, error) {
	p, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if p.Scheme == "https" {
		if tr.TLSClientConfig, err = t.config(p.Hostname()); err != nil {
			return nil, err
		}
	}
	return &http.Client{Transport: tr}, nil
}

// post sends body to u and maps the answer: 2xx is delivered; 408, 429 and
// 5xx are worth a retry (after Retry-After when given); any other status
// is Permanent, since the same request would be refused again.
func post(ctx context.Context, c *http.Client, u string, header http.Header, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, Permanent(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return answer, nil
	}
	err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(answer)))
	switch s := resp.StatusCode; {
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		return nil, retryAfter(err, retryAfterHeader(resp.Header.Get("Retry-After")))
	}
	return nil, Permanent(err)
}

// retryAfterHeader reads a Retry-After of seconds or an HTTP date.
func retryAfterHeader(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}
