package aws_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The AWS connector's tests run against moto, an AWS API emulator over
// HTTP: the server of AITDR_TEST_MOTO_URL, or one started here when
// moto_server is on PATH (pip install 'moto[server]'). Without either they
// are skipped with a loud message, unless CI=true or AITDR_TEST_REQUIRE_MOTO=1
// asks for them, when they fail.

const motoHelp = "install moto with: pip install 'moto[server]' (moto_server on PATH), or point AITDR_TEST_MOTO_URL at a running moto server"

var moto struct {
	once sync.Once
	url  string
	err  error
	cmd  *exec.Cmd
}

func TestMain(m *testing.M) {
	code := m.Run()
	if moto.err != nil {
		fmt.Fprintf(os.Stderr, "\n*** The AWS connector tests against moto were SKIPPED: %v.\n*** To run them, %s.\n\n", moto.err, motoHelp)
	}
	if moto.cmd != nil {
		_ = moto.cmd.Process.Kill()
		_ = moto.cmd.Wait()
	}
	os.Exit(code)
}

// motoURL returns the URL of the moto server, starting one on first use,
// or skips (fails under CI) the test when there is none.
func motoURL(t *testing.T) string {
	t.Helper()
	moto.once.Do(func() { moto.url, moto.err = startMoto() })
	if moto.err != nil {
		if os.Getenv("CI") == "true" || os.Getenv("AITDR_TEST_REQUIRE_MOTO") == "1" {
			t.Fatalf("moto is required here: %v; %s", moto.err, motoHelp)
		}
		t.Skipf("\n\n*** SKIPPED: the AWS connector tests need moto: %v.\n*** To run them, %s.\n\n", moto.err, motoHelp)
	}
	return moto.url
}

func startMoto() (string, error) {
	if u := os.Getenv("AITDR_TEST_MOTO_URL"); u != "" {
		return u, waitMoto(u, 5*time.Second)
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return "", fmt.Errorf("moto_server is not on PATH and AITDR_TEST_MOTO_URL is not set")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start moto_server: %w", err)
	}
	moto.cmd = cmd
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitMoto(u, 30*time.Second); err != nil {
		return "", fmt.Errorf("%w; moto_server said: %s", err, log.String())
	}
	return u, nil
}

// waitMoto polls moto's own API until it answers.
func waitMoto(u string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(u + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("moto at %s did not answer within %s: %w", u, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
