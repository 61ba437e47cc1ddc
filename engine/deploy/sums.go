package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/velinhq/velin/providers/provider"
)

// sumSink passes a files source's entries to the repository while taking
// a SHA-256 of each file's content, for the version's checksum, and noting
// the migration files (any file under a directory named "migrations").
type sumSink struct {
	provider.Sink
	mu   sync.Mutex
	sums map[string]string // path → hex sha256
}

func newSumSink(s provider.Sink) *sumSink { return &sumSink{Sink: s, sums: map[string]string{}} }

// Put stores e, hashing the content on its way.
func (s *sumSink) Put(ctx context.Context, e provider.Entry, r io.Reader) error {
	if e.Kind != provider.KindFile {
		return s.Sink.Put(ctx, e, r)
	}
	h := sha256.New()
	if r != nil {
		r = io.TeeReader(r, h)
	}
	if err := s.Sink.Put(ctx, e, r); err != nil {
		return err
	}
	s.record(e.Path, h)
	return nil
}

func (s *sumSink) record(path string, h hash.Hash) {
	s.mu.Lock()
	s.sums[path] = hex.EncodeToString(h.Sum(nil))
	s.mu.Unlock()
}

// checksum is the SHA-256 of the sorted "sum  path" lines of every file:
// the same content under the same names gives the same checksum.
func (s *sumSink) checksum() string {
	paths := s.paths()
	h := sha256.New()
	for _, p := range paths {
		fmt.Fprintf(h, "%s  %s\n", s.sums[p], p)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func (s *sumSink) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.sums))
	for p := range s.sums {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// migrations lists the files under a "migrations" directory, sorted.
func (s *sumSink) migrations() []string {
	var out []string
	for _, p := range s.paths() {
		if strings.Contains("/"+p, "/migrations/") {
			out = append(out, p)
		}
	}
	return out
}
