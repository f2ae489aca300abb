package input

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// progress counts the work of a Files run and, on a terminal, rewrites a
// progress line in place.
type progress struct {
	w          io.Writer // nil: no line
	interval   time.Duration
	now        func() time.Time
	files      int
	totalBytes int64

	bytes, records, rejected atomic.Int64
	filesDone                atomic.Int64
}

func newProgress(w io.Writer, interval time.Duration, now func() time.Time, files int, totalBytes int64) *progress {
	p := &progress{interval: interval, now: now, files: files, totalBytes: totalBytes}
	if isTerminal(w) {
		p.w = w
	}
	return p
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func (p *progress) fileDone() { p.filesDone.Add(1) }

// start begins rewriting the line, if any; the function it returns stops
// and erases it.
func (p *progress) start() (stop func()) {
	if p.w == nil {
		return func() {}
	}
	began := p.now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				// A terminal write error has nowhere to go.
				_, _ = io.WriteString(p.w, "\r"+p.line(p.now().Sub(began))+"\x1b[K")
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		_, _ = io.WriteString(p.w, "\r\x1b[K")
	}
}

// line is the progress line after elapsed.
func (p *progress) line(elapsed time.Duration) string {
	secs := max(elapsed.Seconds(), 1e-3)
	b, recs := p.bytes.Load(), p.records.Load()
	pct := ""
	if p.totalBytes > 0 {
		pct = fmt.Sprintf(" (%d%%)", min(100*b/p.totalBytes, 100))
	}
	return fmt.Sprintf("ingest: %d/%d files  %s/%s%s  %s/s  %d records  %.0f records/s  %d rejected  %s",
		p.filesDone.Load(), p.files, formatBytes(float64(b)), formatBytes(float64(p.totalBytes)), pct,
		formatBytes(float64(b)/secs), recs, float64(recs)/secs, p.rejected.Load(), elapsed.Round(time.Second))
}

// formatBytes formats a byte count with a binary unit.
func formatBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", n, units[i])
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}
