package feed

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// errSpillFull is returned when a spill file reached its size bound.
var errSpillFull = errors.New("spill file is full")

// spillRecord is one line of a spill file.
type spillRecord struct {
	// Output is the output the message was for.
	Output string `json:"output"`
	// Reason is why it was spilled: queue_full, failed, rejected,
	// shutdown.
	Reason string `json:"reason"`
	// Error is the output's last error, if any.
	Error string `json:"error,omitempty"`
	// Attempts is how often the message was tried.
	Attempts int `json:"attempts,omitempty"`
	// SpilledAt is when it was spilled.
	SpilledAt time.Time `json:"spilled_at"`
	// Message is the message.
	Message Message `json:"message"`
}

// spill is the spill file of one output, <dir>/<name>.spill.jsonl, and the
// replay files it was renamed to (<name>.spill.jsonl.replay-<n>). It is
// safe for concurrent use.
type spill struct {
	dir, name string
	max       int64

	mu     sync.Mutex
	f      *os.File
	size   int64
	active map[string]bool // replay files in flight
}

func newSpill(dir, name string, max int64) (*spill, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("feed spill dir: %w", err)
	}
	return &spill{dir: dir, name: name, max: max, active: map[string]bool{}}, nil
}

func (s *spill) path() string { return filepath.Join(s.dir, s.name+".spill.jsonl") }

// write appends rec and syncs the file: a spilled message survives a crash.
func (s *spill) write(rec spillRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode spill record: %w", err)
	}
	b = append(b, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		f, err := os.OpenFile(s.path(), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("open spill file: %w", err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("open spill file: %w", err)
		}
		s.f, s.size = f, st.Size()
	}
	if s.size+int64(len(b)) > s.max {
		return fmt.Errorf("%s: %w (%d bytes, max_spill_bytes %d)", s.path(), errSpillFull, s.size, s.max)
	}
	if _, err := s.f.Write(b); err != nil {
		return fmt.Errorf("write spill file: %w", err)
	}
	s.size += int64(len(b))
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync spill file: %w", err)
	}
	return nil
}

// replayFiles renames the current spill file to a replay file (when it
// holds anything) and returns every replay file not in flight, marking
// them in flight.
func (s *spill) replayFiles() ([]*replayFile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
	if st, err := os.Stat(s.path()); err == nil && st.Size() > 0 {
		next := s.path() + ".replay-" + strconv.FormatInt(time.Now().UnixNano(), 10)
		if err := os.Rename(s.path(), next); err != nil {
			return nil, fmt.Errorf("rename spill file: %w", err)
		}
	}
	paths, err := filepath.Glob(filepath.Join(s.dir, s.name+".spill.jsonl.replay-*"))
	if err != nil {
		return nil, err
	}
	var out []*replayFile
	for _, p := range paths {
		if s.active[p] {
			continue
		}
		s.active[p] = true
		out = append(out, &replayFile{s: s, path: p})
	}
	return out, nil
}

func (s *spill) release(rf *replayFile) {
	s.mu.Lock()
	delete(s.active, rf.path)
	s.mu.Unlock()
}

// replayFile is a spill file being replayed: it is removed once every
// message it holds is delivered or spilled again.
type replayFile struct {
	s       *spill
	path    string
	pending atomic.Int64
	keep    atomic.Bool
}

// read returns the records of the file and the numbers of the lines that
// are not records (a line torn by a crash).
func (rf *replayFile) read() ([]spillRecord, []int, error) {
	f, err := os.Open(rf.path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var recs []spillRecord
	var bad []int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r spillRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			bad = append(bad, n)
			continue
		}
		recs = append(recs, r)
	}
	return recs, bad, sc.Err()
}

// done marks one message of the file resolved; the last one removes the
// file (unless abandoned).
func (rf *replayFile) done() {
	if rf == nil {
		return
	}
	if rf.pending.Add(-1) == 0 {
		if !rf.keep.Load() {
			_ = os.Remove(rf.path)
		}
		rf.s.release(rf)
	}
}

// abandon keeps the file for the next start: n of its messages were not
// queued. Those queued meanwhile may then be sent twice.
func (rf *replayFile) abandon(n int) {
	rf.keep.Store(true)
	rf.pending.Add(-int64(n))
	rf.done()
}
