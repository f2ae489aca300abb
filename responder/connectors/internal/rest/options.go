package rest

import (
	"net/http"
	"os"
	"time"
)

// Option sets an optional dependency of a connector built on Client; each
// connector re-exports the type and the With* functions under its own name.
type Option func(*Options)

// Options are the optional dependencies of a connector built on Client.
type Options struct {
	// HTTP is the client of every request. Nil until given: the connector
	// then makes its own (NewOptions does, unless the connector builds one
	// per target).
	HTTP *http.Client
	// Now is the clock of results, token expiry and rate-limit waits.
	Now func() time.Time
	// LookupEnv reads the environment variables that hold secrets.
	LookupEnv func(string) (string, bool)
}

// WithHTTPClient sets the HTTP client of every request. Default a client
// with the connector's configured timeout.
func WithHTTPClient(c *http.Client) Option { return func(o *Options) { o.HTTP = c } }

// WithClock sets the clock of results, token expiry and rate-limit waits.
// Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *Options) { o.Now = now } }

// WithLookupEnv sets how secret environment variables are read. Default
// os.LookupEnv.
func WithLookupEnv(f func(string) (string, bool)) Option { return func(o *Options) { o.LookupEnv = f } }

// NewOptions applies opts over the defaults: time.Now, os.LookupEnv and,
// when timeout is positive and no client was given, an HTTP client with
// that timeout.
func NewOptions(timeout time.Duration, opts []Option) Options {
	o := Options{Now: time.Now, LookupEnv: os.LookupEnv}
	for _, opt := range opts {
		opt(&o)
	}
	if o.HTTP == nil && timeout > 0 {
		o.HTTP = &http.Client{Timeout: timeout}
	}
	return o
}
