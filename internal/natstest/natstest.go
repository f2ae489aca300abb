// Package natstest gives tests a NATS server with JetStream: the standalone
// nats-server named by AITDR_TEST_NATS_URL when it is set (CI starts one),
// else an in-process server on a free loopback port. One suite, two engines.
package natstest

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// EnvURL names the environment variable with the URL of an external NATS
// server for the integration suites.
const EnvURL = "AITDR_TEST_NATS_URL"

// Server returns the URL of a NATS server with JetStream for t. With
// AITDR_TEST_NATS_URL set, the test fails (not skips) when that server does
// not answer: CI asked for it.
func Server(t testing.TB) string {
	t.Helper()
	if url := os.Getenv(EnvURL); url != "" {
		nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
		if err != nil {
			t.Fatalf("%s=%s is set but the server does not answer: %v", EnvURL, url, err)
		}
		nc.Close()
		return url
	}
	ns, err := server.NewServer(&server.Options{
		Host:      "127.0.0.1",
		Port:      -1,
		JetStream: true,
		StoreDir:  t.TempDir(),
		NoSigs:    true,
		NoLog:     true,
	})
	if err != nil {
		t.Fatalf("configure in-process nats: %v", err)
	}
	ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("in-process nats not ready after 10s")
	}
	return ns.ClientURL()
}

// Connect connects to url and closes the connection when t ends.
func Connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second), nats.Name(fmt.Sprintf("test %s", t.Name())))
	if err != nil {
		t.Fatalf("connect to nats %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}
