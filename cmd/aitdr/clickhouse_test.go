package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClickHouseServe shows "aitdr clickhouse serve" opening the embedded
// engine on --data-dir, printing its URL, answering queries there, and
// stopping cleanly when its context ends (Ctrl-C). It needs libchdb.so
// (make test fetches it) and fails without it.
func TestClickHouseServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "clickhouse")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	cmd := newRootCommand()
	cmd.SetArgs([]string{"clickhouse", "serve", "--data-dir", dir, "--listen", "127.0.0.1:0"})
	cmd.SetOut(w)
	cmd.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() {
		err := cmd.ExecuteContext(ctx)
		_ = w.CloseWithError(err)
		done <- err
	}()

	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "HTTP" && f[1] == "interface" {
				url <- f[2]
			}
		}
		close(url)
	}()
	var base string
	select {
	case base = <-url:
	case err := <-done:
		t.Fatalf("aitdr clickhouse serve: %v (the embedded engine needs libchdb.so: make chdb)", err)
	case <-time.After(60 * time.Second):
		t.Fatal("no URL printed within 60s")
	}
	if base == "" {
		t.Fatalf("no URL printed: %v", <-done)
	}
	res, err := http.Post(base+"/", "text/plain", strings.NewReader("SELECT 40 + 2"))
	if err != nil {
		t.Fatalf("query %s: %v", base, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "42\n" {
		t.Fatalf("query answer %d %q, want 42", res.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stop: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop within 30s of its context ending")
	}
}
