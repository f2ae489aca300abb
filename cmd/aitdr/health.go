package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

func newHealthCommand(g *globalFlags) *cobra.Command {
	var ready bool
	var addr string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health [--ready]",
		Short: "Ask a running stage's telemetry server whether it is alive (/healthz) or ready (/readyz)",
		Long: `Health asks the telemetry server of the aitdr process configured beside it
(telemetry.listen, a wildcard host asked on loopback) for /healthz, or with
--ready for /readyz, and exits 0 on 200 and 1 otherwise, printing the
answer. It is the health check of container images that have no shell or
HTTP client, such as the distroless image in deploy/docker.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("addr") {
				cfg, err := g.load()
				if err != nil {
					return err
				}
				if cfg.Telemetry.Listen == "" {
					return errors.New("health: telemetry.listen is empty, no telemetry server to ask")
				}
				addr = cfg.Telemetry.Listen
			}
			path := "/healthz"
			if ready {
				path = "/readyz"
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return checkHealth(ctx, cmd.OutOrStdout(), "http://"+dialableAddr(addr)+path)
		},
	}
	cmd.Flags().BoolVar(&ready, "ready", false, "ask /readyz (every readiness check passes) instead of /healthz (the process runs)")
	cmd.Flags().StringVar(&addr, "addr", "", "host:port of the telemetry server (default telemetry.listen)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	return cmd
}

// dialableAddr turns a listen address into one to connect to: a wildcard
// or empty host becomes the loopback address.
func dialableAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if ip != nil && ip.To4() == nil {
			host = "::1"
		} else {
			host = "127.0.0.1"
		}
	}
	return net.JoinHostPort(host, port)
}

// checkHealth GETs url, copies the body to w and fails unless the status is
// 200.
func checkHealth(ctx context.Context, w io.Writer, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("health: read %s: %w", url, err)
	}
	if len(body) > 0 {
		if _, err := w.Write(body); err != nil {
			return err
		}
		if body[len(body)-1] != '\n' {
			fmt.Fprintln(w)
		}
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", url, resp.Status)
	}
	return nil
}
