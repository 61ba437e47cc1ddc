package files

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// TestRestore implements provider.Source: it restores into scratch, then
// checks every entry of the tree against what is on disk: the same names
// (byte for byte, nothing missing and nothing more), kinds, symlink
// targets and hard links, and for each file the SHA-256 of its content
// against the hash of the content read from the repository. The counts are
// of regular files, each inode once.
func (s *Source) TestRestore(ctx context.Context, tree provider.Tree, opts provider.TestRestoreOptions) (provider.TestReport, error) {
	if len(opts.Asserts) > 0 {
		return provider.TestReport{}, fmt.Errorf("test restore files: a file tree has no assertions")
	}
	start := time.Now()
	ht := &hashingTree{Tree: tree, sums: map[string][sha256.Size]byte{}}
	if err := s.Restore(ctx, ht, provider.RestoreOptions{To: opts.Scratch}); err != nil {
		return provider.TestReport{}, err
	}
	c, problems, err := compareRestored(ctx, ht, opts.Scratch)
	if err != nil {
		return provider.TestReport{}, fmt.Errorf("test restore files: %w", err)
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("… and %d more", len(problems)-5))
		}
		return provider.TestReport{}, fmt.Errorf("test restore files: restored tree differs: %s", strings.Join(problems, "; "))
	}
	c.Check = "names and content hashes match"
	check := provider.CheckResult{Name: "content", Kind: "integrity", Passed: true, Detail: c.Check,
		DurationMS: time.Since(start).Milliseconds()}
	return provider.TestReport{Counts: c, Checks: []provider.CheckResult{check}}, nil
}

// hashingTree records the SHA-256 of every file content read whole
// through it, by path.
type hashingTree struct {
	provider.Tree
	mu   sync.Mutex
	sums map[string][sha256.Size]byte
}

func (t *hashingTree) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	rc, err := t.Tree.Open(ctx, e)
	if err != nil {
		return nil, err
	}
	return &hashingReader{ReadCloser: rc, h: sha256.New(), done: func(sum []byte) {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.sums[e.Path] = [sha256.Size]byte(sum)
	}}, nil
}

func (t *hashingTree) sum(path string) ([sha256.Size]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.sums[path]
	return s, ok
}

type hashingReader struct {
	io.ReadCloser
	h    hash.Hash
	done func([]byte)
}

func (r *hashingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.h.Write(p[:n])
	if errors.Is(err, io.EOF) && r.done != nil {
		r.done(r.h.Sum(nil))
		r.done = nil
	}
	return n, err
}

// compareRestored checks the restored tree under scratch against the tree,
// entry by entry in the tree's order; what scratch holds beyond the tree
// is found by counting (see extras), so no set of the tree's paths is kept.
func compareRestored(ctx context.Context, tree *hashingTree, scratch string) (provider.Counts, []string, error) {
	var c provider.Counts
	var problems []string
	x := &extras{scratch: scratch}
	err := tree.Walk(ctx, func(e provider.Entry) error {
		x.leave(e.Path)
		p := filepath.Join(scratch, filepath.FromSlash(e.Path))
		why := checkRestored(tree, e, p, scratch, &c)
		if why != "" {
			problems = append(problems, fmt.Sprintf("%q: %s", e.Path, why))
		}
		x.child(e, why != "missing")
		return nil
	})
	if err != nil {
		return c, nil, err
	}
	x.leave("")
	more, err := x.name(ctx, tree)
	return c, append(problems, more...), err
}

// checkRestored compares one entry with the path it was restored to, and
// counts the files. It returns what differs, or "".
func checkRestored(tree *hashingTree, e provider.Entry, p, scratch string, c *provider.Counts) string {
	fi, err := os.Lstat(p)
	if err != nil {
		return "missing"
	}
	switch e.Kind {
	case provider.KindDir:
		if !fi.IsDir() {
			return "not a directory"
		}
		// Scratch is ours: make sure it can be listed whatever its mode.
		if err := os.Chmod(p, fi.Mode().Perm()|0o700); err != nil {
			return err.Error()
		}
	case provider.KindSymlink:
		if t, err := os.Readlink(p); err != nil || t != e.Target {
			return fmt.Sprintf("symlink to %q, want %q", t, e.Target)
		}
	case provider.KindHardlink:
		t, err := os.Lstat(filepath.Join(scratch, filepath.FromSlash(e.Target)))
		if err != nil || !os.SameFile(fi, t) {
			return "not a hard link to " + e.Target
		}
	case provider.KindFile:
		return checkFile(tree, e, p, fi, c)
	}
	return ""
}

func checkFile(tree *hashingTree, e provider.Entry, p string, fi fs.FileInfo, c *provider.Counts) string {
	if !fi.Mode().IsRegular() || fi.Size() != e.Size {
		return fmt.Sprintf("%v of %d bytes, want a file of %d bytes", fi.Mode().Type(), fi.Size(), e.Size)
	}
	c.Files++
	c.Bytes += fi.Size()
	if e.Size == 0 {
		return ""
	}
	want, ok := tree.sum(e.Path)
	if !ok {
		return "content was not read from the repository"
	}
	got, err := fileSum(p, fi)
	if err != nil {
		return err.Error()
	}
	if got != want {
		return "content differs from the repository's"
	}
	return ""
}

// fileSum hashes a restored file, making it readable first if needed.
func fileSum(p string, fi fs.FileInfo) ([sha256.Size]byte, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrPermission) {
		if err := os.Chmod(p, fi.Mode().Perm()|0o400); err != nil {
			return [sha256.Size]byte{}, err
		}
		f, err = os.Open(p)
	}
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return [sha256.Size]byte{}, err
	}
	return [sha256.Size]byte(h.Sum(nil)), nil
}
