package sessions

import "time"

// SetClock lets tests move a store's clock.
func SetClock(s *Store, now func() time.Time) { s.now = now }

// SummarizeUA is summarizeUA, for its table test.
var SummarizeUA = summarizeUA

// Decode is decode, for tests of malformed records.
var Decode = decode
