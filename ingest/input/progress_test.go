package input

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"
)

// TestProgress shows the progress line of a Files run, and that it is
// written only to a terminal: not to a buffer, a pipe or a regular file.
func TestProgress(t *testing.T) {
	p := newProgress(nil, time.Second, time.Now, 4, 3<<20)
	p.bytes.Store(1 << 20)
	p.records.Store(5000)
	p.rejected.Store(3)
	p.fileDone()
	want := "ingest: 1/4 files  1.0 MiB/3.0 MiB (33%)  512.0 KiB/s  5000 records  2500 records/s  3 rejected  2s"
	if got := p.line(2 * time.Second); got != want {
		t.Errorf("line:\n%s\nwant:\n%s", got, want)
	}

	var buf bytes.Buffer
	f, err := os.Create(t.TempDir() + "/out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, w := range []io.Writer{&buf, f, nil} {
		p := newProgress(w, time.Millisecond, time.Now, 1, 1)
		stop := p.start()
		time.Sleep(5 * time.Millisecond)
		stop()
	}
	if info, _ := f.Stat(); buf.Len() != 0 || info.Size() != 0 {
		t.Errorf("progress written to a non-terminal: %q, %d bytes to a file", buf.String(), info.Size())
	}
}
