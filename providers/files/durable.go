package files

import (
	"fmt"
	"os"
	"sync"
)

// A batch is flushed when it holds this many bytes or files.
const (
	batchBytes = 256 << 20
	batchFiles = 4096
)

// batch makes restored files durable in groups. Each file is written to a
// temporary name; its rename to the final name waits until one filesystem
// sync (syncfs on Linux) has made every file of its group durable. A file
// therefore still appears under its name only with its content durable, as
// with an fsync per file, but a group costs one sync instead of thousands.
// Files on another filesystem than the destination (a mount point inside
// it), and every file where syncfs is unavailable, are fsynced one by one.
// Safe for concurrent use.
type batch struct {
	root *os.Root
	dir  *os.File // the destination directory: the handle syncfs syncs
	dev  uint64   // its device

	maxBytes int64 // flush at this many bytes (batchBytes)
	maxFiles int   // or this many files (batchFiles)

	flushMu sync.Mutex // one flush at a time
	mu      sync.Mutex // guards pending and bytes
	pending []rename
	bytes   int64
}

// rename moves tmp to name inside dir; final is the path in the
// destination, for errors.
type rename struct {
	dir              *os.Root
	tmp, name, final string
}

func newBatch(root *os.Root, dest string) (*batch, error) {
	b := &batch{root: root, maxBytes: batchBytes, maxFiles: batchFiles}
	if !canSyncFS {
		return b, nil
	}
	dir, err := os.Open(dest)
	if err != nil {
		return nil, err
	}
	fi, err := dir.Stat()
	if err != nil {
		dir.Close()
		return nil, err
	}
	b.dir, b.dev = dir, uint64(statOf(fi).Dev)
	return b, nil
}

// sync makes f durable now unless the batch's sync will cover it; it
// reports whether the file must go through add (true) or may be renamed
// at once (false).
func (b *batch) sync(f *os.File) (deferred bool, err error) {
	if b.dir != nil {
		fi, err := f.Stat()
		if err != nil {
			return false, err
		}
		if uint64(statOf(fi).Dev) == b.dev {
			return true, nil
		}
	}
	return false, f.Sync()
}

// add queues the rename of a deferred file of size bytes (both paths
// relative to the destination), flushing the batch when it is full.
func (b *batch) add(tmp, final string, size int64) error {
	return b.addIn(b.root, tmp, final, final, size)
}

// addIn is add for a rename from tmp to name inside dir (final is its path
// in the destination, for errors). dir must stay open until the batch is
// flushed or closed.
func (b *batch) addIn(dir *os.Root, tmp, name, final string, size int64) error {
	b.mu.Lock()
	b.pending = append(b.pending, rename{dir, tmp, name, final})
	b.bytes += size
	full := b.bytes >= b.maxBytes || len(b.pending) >= b.maxFiles
	b.mu.Unlock()
	if full {
		return b.flush()
	}
	return nil
}

// flush syncs the filesystem and renames every queued file into place. On
// error the queued temporary files are removed.
func (b *batch) flush() error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.mu.Lock()
	todo := b.pending
	b.pending, b.bytes = nil, 0
	b.mu.Unlock()
	if len(todo) == 0 {
		return nil
	}
	if err := syncFS(b.dir); err != nil {
		b.remove(todo)
		return fmt.Errorf("sync restored files: %w", err)
	}
	for i, rn := range todo {
		if err := rn.dir.Rename(rn.tmp, rn.name); err != nil {
			b.remove(todo[i:])
			return fmt.Errorf("restore %s: %w", rn.final, err)
		}
	}
	return nil
}

// finish syncs once more so that the renames and the metadata set after
// the last flush are durable too.
func (b *batch) finish() error {
	if b.dir == nil {
		return nil
	}
	if err := syncFS(b.dir); err != nil {
		return fmt.Errorf("sync restored files: %w", err)
	}
	return nil
}

// close removes the temporary files of an unfinished batch and releases
// the directory handle.
func (b *batch) close() error {
	b.mu.Lock()
	todo := b.pending
	b.pending = nil
	b.mu.Unlock()
	b.remove(todo)
	if b.dir != nil {
		return b.dir.Close()
	}
	return nil
}

func (b *batch) remove(todo []rename) {
	for _, rn := range todo {
		// A file that cannot be removed stays behind as a crash leaves
		// it: under its temporary name, never renamed into place.
		_ = rn.dir.Remove(rn.tmp)
	}
}
