package reliability_test

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	chserver "github.com/aitdr/aitdr/deploy/clickhouse"
	"github.com/aitdr/aitdr/internal/kafkatest"
)

// The binaries every test runs: aitdr, built once for the whole suite, and
// nats-server, taken from make nats-server or built once.
var (
	buildDir  string
	aitdrOnce sync.Once
	aitdrBin  string
	aitdrErr  error
	natsOnce  sync.Once
	natsBin   string
	natsErr   error
)

func TestMain(m *testing.M) {
	var err error
	if buildDir, err = os.MkdirTemp("", "aitdr-reliability-"); err != nil {
		fmt.Fprintf(os.Stderr, "reliability: temp dir for the binaries: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(buildDir)
	os.Exit(code)
}

// suite returns the real broker's seed brokers and the aitdr binary, or
// skips the test when no real broker is configured: the suite kills and
// restarts processes around a broker that must outlive them.
func suite(t *testing.T) (brokers []string, bin string) {
	t.Helper()
	if !kafkatest.External() {
		t.Skipf("the reliability suite runs aitdr against a real Kafka broker: set %s (make test-kafka does)", kafkatest.EnvBrokers)
	}
	brokers = kafkatest.Cluster(t)
	aitdrOnce.Do(func() {
		aitdrBin = filepath.Join(buildDir, "aitdr")
		aitdrErr = goBuild(aitdrBin, "github.com/aitdr/aitdr/cmd/aitdr")
	})
	if aitdrErr != nil {
		t.Fatal(aitdrErr)
	}
	if _, err := os.Stat(chdbLibrary()); err != nil {
		t.Fatalf("the reliability suite needs the embedded ClickHouse engine: run `make chdb` or set %s: %v", chserver.LibraryEnv, err)
	}
	return brokers, aitdrBin
}

// goBuild builds pkg into out with the go command that runs the tests.
func goBuild(out, pkg string) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("build %s: the go command is not on PATH: %w", pkg, err)
	}
	cmd := exec.Command(goCmd, "build", "-o", out, pkg)
	cmd.Dir = repoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// repoRoot is the module root, two levels above this package.
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return filepath.Join(wd, "..", "..")
}

// chdbLibrary is libchdb.so: $AITDR_CHDB_LIB, else where make chdb puts it.
func chdbLibrary() string {
	if lib := os.Getenv(chserver.LibraryEnv); lib != "" {
		return lib
	}
	return filepath.Join(repoRoot(), ".cache", "chdb", "libchdb.so")
}

// natsServer returns the nats-server binary: $NATS_SERVER_BIN, the one make
// nats-server builds into .cache/bin, or one built here from the module
// go.mod pins.
func natsServer(t *testing.T) string {
	t.Helper()
	natsOnce.Do(func() {
		for _, p := range []string{os.Getenv("NATS_SERVER_BIN"), filepath.Join(repoRoot(), ".cache", "bin", "nats-server")} {
			if p == "" {
				continue
			}
			if info, err := os.Stat(p); err == nil && info.Mode()&0o111 != 0 {
				natsBin = p
				return
			}
		}
		natsBin = filepath.Join(buildDir, "nats-server")
		natsErr = goBuild(natsBin, "github.com/nats-io/nats-server/v2")
	})
	if natsErr != nil {
		t.Fatal(natsErr)
	}
	return natsBin
}

// freeAddr returns a loopback address with a port free at the time of the
// call, for a process that must listen on the same port across restarts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// process is a subprocess of a test, its output in a log file of the
// test's directory. It is killed, if still running, when the test ends,
// and the end of its log is printed when the test failed.
type process struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // set before done is closed
}

// startProcess runs bin with args and the environment env (added to the
// suite's), logging into dir/name.log. A process of the same name started
// again appends to the same log.
func startProcess(t *testing.T, dir, name, bin string, env []string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(logFile, "==== %s: %s %s\n", time.Now().Format(time.RFC3339Nano), bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(processEnv(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &process{t: t, name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("---- last lines of %s (%s):\n%s", name, logPath, p.tail(40))
		}
	})
	return p
}

// processEnv is the suite's environment without the AITDR_* variables that
// would override the test's configuration file, plus the engine library.
func processEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AITDR_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, chserver.LibraryEnv+"="+chdbLibrary())
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// mustRun fails the test with the end of the process's log when it is no
// longer running.
func (p *process) mustRun() {
	p.t.Helper()
	if !p.running() {
		p.t.Fatalf("%s exited: %v\n%s", p.name, p.err, p.tail(40))
	}
}

// kill9 kills the process with SIGKILL and waits for it to be gone.
func (p *process) kill9() {
	p.t.Helper()
	p.mustRun()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("kill -9 %s: %v", p.name, err)
	}
	<-p.done
}

// stop sends SIGTERM and waits up to timeout for a clean exit (status 0).
func (p *process) stop(timeout time.Duration) {
	p.t.Helper()
	p.mustRun()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatalf("stop %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("%s did not stop within %s of SIGTERM\n%s", p.name, timeout, p.tail(40))
	}
	if p.err != nil {
		p.t.Errorf("%s stopped with %v after SIGTERM, want a clean exit\n%s", p.name, p.err, p.tail(40))
	}
}

// tail returns the last n lines of the process's log.
func (p *process) tail(n int) string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// lineCount returns the lines of the process's log so far.
func (p *process) lineCount() int { return len(p.linesFrom(0, 0)) }

// linesFrom returns the lines of the process's log from line from (0 is
// the first) up to line to (excluded; 0 for the end), for a test's log:
// what an operator read in that time.
func (p *process) linesFrom(from, to int) []string {
	f, err := os.Open(p.log)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for i := 0; sc.Scan() && (to == 0 || i < to); i++ {
		if i >= from {
			out = append(out, sc.Text())
		}
	}
	return out
}

// logLines returns the lines of the process's log holding every one of
// the substrings.
func (p *process) logLines(subs ...string) []string {
	var out []string
next:
	for _, line := range p.linesFrom(0, 0) {
		for _, s := range subs {
			if !strings.Contains(line, s) {
				continue next
			}
		}
		out = append(out, line)
	}
	return out
}

// problems counts the warnings and errors in the process's log by level
// and message, for the test's log: what an operator would have seen.
func (p *process) problems() string {
	counts := map[string]int{}
	for _, line := range p.logLines("level=") {
		level := field(line, "level=")
		if level != "WARN" && level != "ERROR" {
			continue
		}
		counts[level+" "+field(line, "msg=")]++
	}
	keys := slices.Sorted(maps.Keys(counts))
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %5d  %s", counts[k], k)
	}
	if b.Len() == 0 {
		return " none"
	}
	return b.String()
}

// field returns the value of key= in a logfmt line, quoted or not.
func field(line, key string) string {
	i := strings.Index(line, " "+key)
	if i < 0 {
		if !strings.HasPrefix(line, key) {
			return ""
		}
	} else {
		line = line[i+1:]
	}
	v := line[len(key):]
	if strings.HasPrefix(v, `"`) {
		if s, err := strconv.QuotedPrefix(v); err == nil {
			u, _ := strconv.Unquote(s)
			return u
		}
	}
	v, _, _ = strings.Cut(v, " ")
	return v
}

// memory returns the process's resident set size now (VmRSS) and at its
// peak (VmHWM), in bytes, from /proc/<pid>/status.
func (p *process) memory() (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid()))
	if err != nil {
		return 0, 0, fmt.Errorf("memory of %s: %w", p.name, err)
	}
	field := func(name string) (int64, error) {
		i := bytes.Index(b, []byte(name+":"))
		if i < 0 {
			return 0, fmt.Errorf("memory of %s: no %s in /proc/%d/status", p.name, name, p.pid())
		}
		line, _, _ := bytes.Cut(b[i+len(name)+1:], []byte("\n"))
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(line)), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("memory of %s: %s %q: %w", p.name, name, line, err)
		}
		return kb << 10, nil
	}
	if rss, err = field("VmRSS"); err != nil {
		return 0, 0, err
	}
	hwm, err = field("VmHWM")
	return rss, hwm, err
}

// waitFor polls cond every interval until it returns true or timeout
// passes; it returns how long that took and whether cond came true. A
// process that exits while waiting fails the test.
func waitFor(t *testing.T, timeout, interval time.Duration, watch []*process, cond func() bool) (time.Duration, bool) {
	t.Helper()
	start := time.Now()
	for {
		for _, p := range watch {
			p.mustRun()
		}
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > timeout {
			return time.Since(start), false
		}
		time.Sleep(interval)
	}
}

// durationEnv reads a duration from the environment variable name, with
// def when unset and floor as the least accepted.
func durationEnv(t *testing.T, name string, def, floor time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	if d < floor {
		t.Fatalf("%s=%s: at least %s, so that the outage outlasts the retries and timeouts it tests", name, d, floor)
	}
	return d
}
