package sessions

import "time"

// SetClock lets tests move a store's clock.
func SetClock(s *Store, now func() time.Time) { s.now = now }

// SummarizeUA is summarizeUA, for its table test.
var SummarizeUA = summarizeUA

// Decode is decode, for tests of malformed records.
var Decode = decode

// HoldReads makes s's reads use one lane and takes it, as if a GET were on
// the wire: the GETs that follow queue. queued tells how many wait; release
// gives the lane back, and the queue goes out.
func HoldReads(s *Store) (queued func() int, release func()) {
	b := s.reads
	b.mu.Lock()
	b.lanes, b.running = 1, 1
	b.mu.Unlock()
	queued = func() int {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.queue)
	}
	return queued, b.release
}
