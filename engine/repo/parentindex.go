package repo

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
)

// parentKey names a path of the parent snapshot in the parent index: the
// first 16 bytes of its SHA-256 (the path itself is not kept; two paths
// of one source colliding is as unlikely as two chunks sharing an id).
type parentKey [16]byte

func keyOfPath(path string) parentKey {
	sum := sha256.Sum256([]byte(path))
	return parentKey(sum[:16])
}

// parentSlot locates one path's record: 24 bytes per parent entry are all
// the index keeps in memory once its records are past parentMemBytes.
type parentSlot struct {
	key parentKey
	off uint64
}

// parentMemBytes is how many bytes of records the parent index keeps in
// memory; past it they go to an unlinked temporary file.
const parentMemBytes = 4 << 20

// maxParentPrealloc caps the slots allocated up front from a manifest's
// entry count (the index grows past it if the tree is larger).
const maxParentPrealloc = 1 << 22

// parentIndex is the parent tree of a source, by path key: sorted slots
// and the records they point at (appendParent), in memory (mem) or in an
// unlinked temporary file. Lookups are safe for concurrent callers.
type parentIndex struct {
	slots   []parentSlot // sorted by key once built
	memMax  int
	mem     []byte
	file    *os.File
	w       *bufio.Writer // writes to file while building
	end     int64         // bytes of records so far
	scratch []byte

	mu     sync.RWMutex // close against lookups
	closed bool
}

func newParentIndex(entries int64, memMax int) *parentIndex {
	return &parentIndex{slots: make([]parentSlot, 0, min(max(entries, 0), maxParentPrealloc)), memMax: memMax}
}

// add appends the record of path, after its length; paths come once each.
func (pi *parentIndex) add(path string, p parentNode) error {
	body := appendParent(pi.scratch[:0], p)
	pi.scratch = body
	var hdr [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(hdr[:], uint64(len(body)))
	pi.slots = append(pi.slots, parentSlot{key: keyOfPath(path), off: uint64(pi.end)})
	pi.end += int64(k + len(body))
	if pi.file == nil && len(pi.mem)+k+len(body) <= pi.memMax {
		pi.mem = append(append(pi.mem, hdr[:k]...), body...)
		return nil
	}
	if pi.file == nil {
		if err := pi.spill(); err != nil {
			return err
		}
	}
	pi.w.Write(hdr[:k])
	if _, err := pi.w.Write(body); err != nil {
		return fmt.Errorf("parent index: %w", err)
	}
	return nil
}

// spill moves the records kept so far to a new unlinked temporary file,
// where the next ones go too.
func (pi *parentIndex) spill() error {
	f, err := os.CreateTemp("", "velin-parent-*")
	if err != nil {
		return fmt.Errorf("parent index: %w", err)
	}
	_ = os.Remove(f.Name()) // unlinked at once where the system allows: nothing is left behind
	pi.file, pi.w = f, bufio.NewWriterSize(f, 1<<16)
	if _, err := pi.w.Write(pi.mem); err != nil {
		return fmt.Errorf("parent index: %w", err)
	}
	pi.mem = nil
	return nil
}

// finish sorts the slots and flushes the records: the index is ready.
func (pi *parentIndex) finish() error {
	pi.scratch = nil
	if pi.file == nil {
		pi.mem = slices.Clone(pi.mem) // without append's spare capacity
	}
	slices.SortFunc(pi.slots, func(a, b parentSlot) int { return bytes.Compare(a.key[:], b.key[:]) })
	if pi.w != nil {
		if err := pi.w.Flush(); err != nil {
			return fmt.Errorf("parent index: %w", err)
		}
		pi.w = nil
	}
	return nil
}

// lookup returns the parent node of path; a read error is returned as
// such (the caller treats it as no parent entry).
func (pi *parentIndex) lookup(path string) (parentNode, bool, error) {
	pi.mu.RLock()
	defer pi.mu.RUnlock()
	if pi.closed {
		return parentNode{}, false, nil // the source is finished or dropped
	}
	key := keyOfPath(path)
	i, ok := slices.BinarySearchFunc(pi.slots, key, func(s parentSlot, k parentKey) int { return bytes.Compare(s.key[:], k[:]) })
	if !ok {
		return parentNode{}, false, nil
	}
	rec, err := pi.record(int64(pi.slots[i].off))
	if err != nil {
		return parentNode{}, false, err
	}
	p, err := decodeParent(rec)
	return p, err == nil, err
}

// record returns the record at off without its length prefix.
func (pi *parentIndex) record(off int64) ([]byte, error) {
	if pi.file == nil {
		n, k := binary.Uvarint(pi.mem[off:])
		if k <= 0 || n > uint64(len(pi.mem))-uint64(off)-uint64(k) {
			return nil, errParentRecord
		}
		return pi.mem[off+int64(k) : off+int64(k)+int64(n)], nil
	}
	buf := make([]byte, min(256, pi.end-off))
	if _, err := pi.file.ReadAt(buf, off); err != nil && err != io.EOF {
		return nil, fmt.Errorf("parent index: %w", err)
	}
	n, k := binary.Uvarint(buf)
	if k <= 0 || n > uint64(pi.end-off-int64(k)) {
		return nil, errParentRecord
	}
	if int(n) <= len(buf)-k {
		return buf[k : k+int(n)], nil
	}
	rec := make([]byte, n)
	copy(rec, buf[k:])
	if _, err := pi.file.ReadAt(rec[len(buf)-k:], off+int64(len(buf))); err != nil && err != io.EOF {
		return nil, fmt.Errorf("parent index: %w", err)
	}
	return rec, nil
}

// close releases the records and the temporary file; later lookups fail.
func (pi *parentIndex) close() {
	pi.mu.Lock()
	defer pi.mu.Unlock()
	if pi.file != nil && !pi.closed {
		name := pi.file.Name()
		pi.file.Close()
		_ = os.Remove(name) // where the early unlink was not allowed
	}
	pi.closed, pi.slots, pi.mem, pi.file = true, nil, nil, nil
}

// parentOf returns the parent snapshot's node at path, loading the parent
// index on first use (safe for concurrent callers). A record that cannot
// be read back counts as no parent entry: the file is read again.
func (sw *SourceWriter) parentOf(path string) (node, bool) {
	sw.parentOnce.Do(sw.loadParent)
	if sw.parent == nil {
		return node{}, false
	}
	p, ok, err := sw.parent.lookup(path)
	if err != nil {
		sw.parentWarn.Do(func() {
			sw.w.r.opts.Warn(fmt.Sprintf("parent index of %s: %v; reading such files again", sw.key, err))
		})
	}
	if !ok {
		return node{}, false
	}
	return p.node(), true
}

// loadParent builds the parent index from the parent (or previous)
// snapshot's tree of this source, a directory part at a time.
func (sw *SourceWriter) loadParent() {
	pm := sw.w.meta.Parent
	if pm == nil {
		pm = sw.w.meta.Previous
	}
	if pm == nil || pm.Source(sw.key) == nil {
		return
	}
	ps := pm.Source(sw.key)
	pi := newParentIndex(ps.Entries, sw.parentMem)
	err := sw.w.r.walkTree(context.Background(), sw.w.r.newWalkGuard(pm, ps), ps.Root, false, func(p string, n node) error {
		return pi.add(p, compactNode(n))
	})
	if err == nil {
		err = pi.finish()
	}
	if err != nil {
		pi.close()
		sw.w.r.opts.Warn(fmt.Sprintf("parent snapshot %s of %s unreadable, reading everything: %v", pm.ID, sw.key, err))
		return
	}
	sw.parent = pi
}

// closeParent releases the parent index; it is never loaded after this.
func (sw *SourceWriter) closeParent() {
	sw.parentOnce.Do(func() {})
	if sw.parent != nil {
		sw.parent.close()
	}
}
