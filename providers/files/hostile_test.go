package files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// swapTree makes n files of content under dir/tree and starts a goroutine
// that keeps replacing each with swap(path) and back. stop ends it.
func swapTree(t *testing.T, n int, content string, swap func(tmp string) error) (src *Source, stop func()) {
	t.Helper()
	tree := filepath.Join(t.TempDir(), "tree")
	if err := os.Mkdir(tree, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(tree, fmt.Sprintf("f%02d", i)), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := New([]string{tree}, nil, false, false)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; ; k++ {
			select {
			case <-done:
				return
			default:
			}
			p := filepath.Join(tree, fmt.Sprintf("f%02d", k%n))
			tmp := filepath.Join(filepath.Dir(tree), ".swap") // outside the tree, same file system
			os.Remove(tmp)
			if err := swap(tmp); err == nil {
				os.Rename(tmp, p) // the hostile entry
			}
			os.WriteFile(tmp, []byte(content), 0o644)
			os.Rename(tmp, p) // and back
		}
	}()
	return src, func() { close(done); wg.Wait() }
}

// backupFor runs backups of src for d, each bounded by a timeout, and
// calls check with every finished snapshot.
func backupFor(t *testing.T, src *Source, d time.Duration, check func(*sourcetest.MemTree)) int {
	t.Helper()
	runs := 0
	for end := time.Now().Add(d); time.Now().Before(end); runs++ {
		snap := sourcetest.NewMemSnapshot(nil)
		done := make(chan error, 1)
		go func() {
			_, err := src.Backup(context.Background(), snap, provider.BackupOptions{})
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, provider.ErrPartial) {
				t.Fatalf("backup: %v", err)
			}
		case <-time.After(2 * time.Minute): // a hang guard: a backup of 40 small files beside a busy swapper, -race, loaded
			t.Fatalf("backup %d hangs", runs)
		}
		check(snap.Finish())
	}
	return runs
}

// A symlink swapped in between the walk's lstat and the open must never
// bring the file it points to (outside the tree) into the snapshot.
func TestBackupSymlinkSwapRace(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "shadow")
	const public, private = "public content!!", "TOP SECRET DATA!"
	if err := os.WriteFile(secret, []byte(private), 0o600); err != nil {
		t.Fatal(err)
	}
	src, stop := swapTree(t, 40, public, func(tmp string) error { return os.Symlink(secret, tmp) })
	defer stop()
	leaks := 0
	runs := backupFor(t, src, 3*time.Second, func(tree *sourcetest.MemTree) {
		for p, e := range tree.Entries() {
			if c, _ := tree.Content(p); e.Kind == provider.KindFile && bytes.Contains(c, []byte(private)) {
				leaks++
			}
		}
	})
	if leaks > 0 {
		t.Fatalf("%d files of the snapshot hold the content of a file outside the tree (%d runs)", leaks, runs)
	}
}

// A named pipe swapped in for a file must not make the backup wait for a
// writer.
func TestBackupFIFOSwapDoesNotHang(t *testing.T) {
	src, stop := swapTree(t, 40, "content", func(tmp string) error { return syscall.Mkfifo(tmp, 0o644) })
	defer stop()
	backupFor(t, src, 2*time.Second, func(tree *sourcetest.MemTree) {
		for p, e := range tree.Entries() {
			if c, _ := tree.Content(p); e.Kind == provider.KindFile && string(c) != "content" {
				t.Errorf("%s stored as %q", p, c)
			}
		}
	})
}

// shrinkSink truncates one file to half its size right before reading it,
// as a log rotation with copytruncate would.
type shrinkSink struct {
	sourcetest.MemSnapshot
	victim string // absolute path
	rel    string
	mu     sync.Mutex
	got    map[string][]byte
}

func (s *shrinkSink) Put(ctx context.Context, e provider.Entry, r io.Reader) error {
	if e.Path == s.rel {
		if err := os.Truncate(s.victim, e.Size/2); err != nil {
			return err
		}
	}
	var data []byte
	if r != nil {
		var err error
		if data, err = io.ReadAll(r); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got[e.Path] = data
	return nil
}

func TestBackupShrinkingFileIsPartial(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "app.log"), bytes.Repeat([]byte("x"), 100_000), 0o644)
	os.WriteFile(filepath.Join(dir, "other.log"), []byte("intact"), 0o644)
	src, err := New([]string{dir}, nil, false, false)
	if err != nil {
		t.Fatal(err)
	}
	sink := &shrinkSink{victim: filepath.Join(dir, "app.log"), rel: "logs/app.log", got: map[string][]byte{}}
	facts, err := src.Backup(context.Background(), sink, provider.BackupOptions{})
	var partial *provider.Partial
	if !errors.As(err, &partial) || len(partial.Problems) != 1 || partial.Problems[0].Path != "logs/app.log" ||
		!strings.Contains(partial.Problems[0].Err, "shrank") {
		t.Fatalf("backup of a shrinking file: %v", err)
	}
	if len(facts.Incomplete) != 1 || facts.Files != 2 || facts.Bytes != 50_000+6 {
		t.Errorf("facts: %+v", facts)
	}
	if len(sink.got["logs/app.log"]) != 50_000 || string(sink.got["logs/other.log"]) != "intact" {
		t.Errorf("stored %d bytes of app.log, other.log %q", len(sink.got["logs/app.log"]), sink.got["logs/other.log"])
	}
}

// A read error midway ends the content where it happened; the error is
// kept for the warning, and the entry is stored as read.
func TestExactReaderReadError(t *testing.T) {
	boom := errors.New("input/output error")
	x := &exactReader{r: io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), left: 10}
	b, err := io.ReadAll(x)
	if err != nil || string(b) != "abc" || !errors.Is(x.err, boom) || x.left != 7 {
		t.Fatalf("read %q, %v; x = %+v", b, err, x)
	}
}

// Inspect lists named pipes and sockets as skipped and counts a hard link
// once; Contains places a local path inside the tree.
func TestInspectSkipsSpecialFiles(t *testing.T) {
	site := filepath.Join(t.TempDir(), "s")
	os.MkdirAll(filepath.Join(site, "d"), 0o755)
	os.WriteFile(filepath.Join(site, "a"), []byte("12345"), 0o644)
	if err := os.Link(filepath.Join(site, "a"), filepath.Join(site, "d", "a2")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(site, "p"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(site, "d", "sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	src, err := New([]string{site}, nil, false, false)
	if err != nil {
		t.Fatal(err)
	}
	facts, err := src.Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.Problem{{Path: "s/d/sock", Op: "skip", Err: "socket"}, {Path: "s/p", Op: "skip", Err: "named pipe"}}
	if facts.Files != 1 || facts.Bytes != 5 || fmt.Sprint(facts.Skipped) != fmt.Sprint(want) {
		t.Errorf("facts %+v", facts)
	}
	if p, ok := src.Contains(filepath.Join(site, "d", "repo")); !ok || p != "s/d/repo" {
		t.Errorf("Contains = %q, %v", p, ok)
	}
	if _, ok := src.Contains(site + "x/repo"); ok {
		t.Error("a sibling directory is inside the tree")
	}
}
