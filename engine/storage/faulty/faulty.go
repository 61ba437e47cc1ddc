package faulty

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/velinhq/velin/engine/storage"
)

// ErrInjected is wrapped by every failure the wrapper injects.
var ErrInjected = errors.New("injected fault")

// Op is a set of operations a rule applies to.
type Op uint8

// Operations; OpGet covers Get and GetRange.
const (
	OpPut Op = 1 << iota
	OpGet
	OpStat
	OpList
	OpDelete
)

// recentKept is how many recent writes are remembered at least, for a
// ListLag set after the writes.
const recentKept = 1024

// Counts are the calls the wrapper has seen.
type Counts struct {
	Puts, Gets, Stats, Lists, Deletes int64
	Injected                          int64 // calls failed or corrupted on purpose
}

// Storage is a fault-injecting storage.Storage wrapper.
type Storage struct {
	inner storage.Storage

	mu       sync.Mutex
	counts   Counts
	failPut  map[int64]bool  // Put numbers (1-based, in call order) to fail
	cutPut   map[int64]int64 // Put number → bytes to pass before failing
	prefixes []prefixRule
	cutGets  []cutGet
	flips    []flip
	lag      int
	lagFor   time.Duration // 0: the lag has no time bound
	recent   []write       // the latest successful writes, newest last
	crash    bool          // CrashAfter is set: writes beyond writesLeft fail
	noCond   bool          // IgnoreIfAbsent: Put replaces whatever exists
	left     int64         // writes (Puts and Deletes) still let through
}

// write is one successful Put or Delete, with what the name held before
// (nil: nothing), for lagging listings.
type write struct {
	name  string
	prior *storage.ObjectInfo
	at    time.Time
}

// cutGet cuts the reads of names with prefix after bytes.
type cutGet struct {
	prefix string
	bytes  int64
}

type prefixRule struct {
	ops    Op
	prefix string
}

type flip struct {
	name   string // "" for every object
	offset int64
}

var _ storage.Storage = (*Storage)(nil)

// New wraps inner with no rules.
func New(inner storage.Storage) *Storage {
	return &Storage{inner: inner, failPut: map[int64]bool{}, cutPut: map[int64]int64{}}
}

// Inner returns the wrapped storage.
func (s *Storage) Inner() storage.Storage { return s.inner }

// FailPut makes the nth Put from now fail (1 = the next one) before
// anything reaches the inner storage.
func (s *Storage) FailPut(nth int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failPut[s.counts.Puts+int64(nth)] = true
}

// CutPut makes the nth Put from now pass at most afterBytes bytes of its
// reader to the inner storage and then fail, as a connection dropped
// mid-upload would. The reader fails at that point or at its end, whichever
// comes first, so the Put always fails; an atomic inner storage keeps
// nothing of it.
func (s *Storage) CutPut(nth int, afterBytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutPut[s.counts.Puts+int64(nth)] = afterBytes
}

// CrashAfter lets the next n writes (Puts and Deletes) through and fails
// every write after them, like a process killed at that point: nothing after
// the crash point reaches the inner storage. Reads still work.
func (s *Storage) CrashAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.crash, s.left = true, int64(n)
}

// crashedLocked reports whether a write fails because of CrashAfter, and
// counts it against the budget otherwise.
func (s *Storage) crashedLocked() bool {
	if !s.crash {
		return false
	}
	if s.left <= 0 {
		s.counts.Injected++
		return true
	}
	s.left--
	return false
}

// FailWithPrefix makes every call of ops on a name starting with prefix fail
// (for OpList: a listing whose prefix starts with prefix), until Reset.
func (s *Storage) FailWithPrefix(ops Op, prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prefixes = append(s.prefixes, prefixRule{ops, prefix})
}

// CutGets makes every Get and GetRange of a name starting with prefix
// yield at most afterBytes bytes, then fail with ErrInjected, as a
// connection lost mid-way does, until Reset.
func (s *Storage) CutGets(prefix string, afterBytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cutGets = append(s.cutGets, cutGet{prefix, afterBytes})
}

// cutFor returns the bytes after which a read of name fails (-1: never).
func (s *Storage) cutFor(name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.cutGets {
		if strings.HasPrefix(name, c.prefix) {
			s.counts.Injected++
			return c.bytes
		}
	}
	return -1
}

// FlipBit makes every Get and GetRange of name ("" for every object) return
// the byte at offset (counted from the start of the object) with its lowest
// bit flipped.
func (s *Storage) FlipBit(name string, offset int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flips = append(s.flips, flip{name, offset})
}

// ListLag makes List show the names touched by the last k successful writes
// (Puts and Deletes) as they were before those writes, as an eventually
// consistent listing would: a new object is missing, a replaced one is
// listed with its old size and time, and a deleted one is still listed
// (Get and Stat then say ErrNotFound). Stat and Get see the current state.
func (s *Storage) ListLag(k int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lag = k
}

// ListLagFor bounds the ListLag window in time: writes older than d are
// listed as they are even if they are among the last k. Storage tests of
// protocols that assume a bounded lag (prune's margin) use it.
func (s *Storage) ListLagFor(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lagFor = d
}

// CatchUp makes the listing show every write made so far, as a lagging
// listing does once time has passed; later writes lag again. Tests that
// move clocks forward call it.
func (s *Storage) CatchUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recent = nil
}

// IgnoreIfAbsent makes Put ignore PutOptions.IfAbsent and replace an
// existing object, as a store without conditional writes does (some
// S3-compatible servers ignore If-None-Match): of racing writers, the last
// one wins and none is told.
func (s *Storage) IgnoreIfAbsent() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noCond = true
}

// Reset removes every rule; counts are kept.
func (s *Storage) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failPut = map[int64]bool{}
	s.cutPut = map[int64]int64{}
	s.prefixes, s.flips, s.lag, s.lagFor = nil, nil, 0, 0
	s.cutGets = nil
	s.crash, s.left = false, 0
	s.noCond = false
}

// Counts returns the calls seen so far.
func (s *Storage) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// failsLocked reports whether a prefix rule fails op on name.
func (s *Storage) failsLocked(op Op, name string) bool {
	for _, r := range s.prefixes {
		if r.ops&op != 0 && strings.HasPrefix(name, r.prefix) {
			s.counts.Injected++
			return true
		}
	}
	return false
}

// putPlan counts a Put and decides its fate: fail now, or cut after cut
// bytes (cut < 0: pass through); it clears opts.IfAbsent under
// IgnoreIfAbsent.
func (s *Storage) putPlan(name string, opts *storage.PutOptions) (fail bool, cut int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.noCond {
		opts.IfAbsent = false
	}
	s.counts.Puts++
	n := s.counts.Puts
	if s.failPut[n] {
		delete(s.failPut, n)
		s.counts.Injected++
		return true, -1
	}
	if s.failsLocked(OpPut, name) || s.crashedLocked() {
		return true, -1
	}
	if c, ok := s.cutPut[n]; ok {
		delete(s.cutPut, n)
		s.counts.Injected++
		return false, c
	}
	return false, -1
}

func (s *Storage) recordWrite(name string, prior *storage.ObjectInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recent = append(s.recent, write{name, prior, time.Now()})
	if keep := max(s.lag, recentKept); len(s.recent) > 2*keep {
		s.recent = append([]write(nil), s.recent[len(s.recent)-keep:]...)
	}
}

// lagging returns the names a List must not take from the inner storage
// now, each with what to list instead (nil: nothing).
func (s *Storage) lagging() map[string]*storage.ObjectInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	hide := map[string]*storage.ObjectInfo{}
	for i := len(s.recent) - 1; i >= max(len(s.recent)-s.lag, 0); i-- {
		w := s.recent[i]
		if s.lagFor > 0 && time.Since(w.at) >= s.lagFor {
			break // older writes are visible
		}
		hide[w.name] = w.prior // the oldest write in the window wins
	}
	return hide
}

// flipsFor returns the offsets to corrupt in name.
func (s *Storage) flipsFor(name string) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var offs []int64
	for _, f := range s.flips {
		if f.name == "" || f.name == name {
			offs = append(offs, f.offset)
		}
	}
	if len(offs) > 0 {
		s.counts.Injected++
	}
	return offs
}
