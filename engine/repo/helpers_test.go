package repo

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/providers/provider"
)

var benchTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const testPass = "correct horse battery staple"

func testOptions() Options {
	return Options{Passphrase: testPass, Host: "testhost", Version: "test", kdfN: 1024,
		PruneMargin: -1, PruneGrace: -1, // delete at once, as tests expect
		Clock: func() time.Time { return time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC) }}
}

func newTestRepo(t testing.TB) (*Repository, *repotest.Mem) {
	t.Helper()
	st := repotest.NewMem()
	r, err := Init(context.Background(), st, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, st
}

func openTestRepo(t testing.TB, st storage.Storage) *Repository {
	t.Helper()
	r, err := Open(context.Background(), st, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// item is a test entry with its content.
type item struct {
	e    provider.Entry
	data []byte
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// textBytes is compressible pseudo-text.
func textBytes(rng *rand.Rand, n int) []byte {
	words := []string{"alpha ", "beta ", "gamma ", "delta\n", "{\"k\": 1}, ", "log line ok\n"}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[rng.IntN(len(words))])
	}
	return b.Bytes()[:n]
}

func fileItem(path string, data []byte, mtime time.Time) item {
	return item{e: provider.Entry{Path: path, Kind: provider.KindFile, Mode: 0o644, ModTime: mtime,
		Size: int64(len(data)), UID: 1000, GID: 100, Inode: uint64(len(path)), Device: 7, ChangeTime: mtime}, data: data}
}

// backup writes items as one source and commits.
func backup(t testing.TB, r *Repository, parent *Manifest, typ, name string, items []item) *Manifest {
	t.Helper()
	ctx := context.Background()
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p", Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	sw := w.Source(typ, name)
	for _, it := range items {
		var rd io.Reader
		if it.e.Kind == provider.KindFile && it.data != nil {
			rd = bytes.NewReader(it.data)
		}
		if err := sw.Put(ctx, it.e, rd); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Finish(ctx, provider.Facts{Type: typ, Identity: "/src/" + name}); err != nil {
		t.Fatal(err)
	}
	m, err := w.Commit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readAll walks a tree and returns entries (Handle cleared) and contents.
func readAll(t testing.TB, r *Repository, m *Manifest, key string) ([]provider.Entry, map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	tr, err := r.Tree(ctx, m, key)
	if err != nil {
		t.Fatal(err)
	}
	var out []provider.Entry
	data := map[string][]byte{}
	err = tr.Walk(ctx, func(e provider.Entry) error {
		if e.Kind == provider.KindFile {
			rc, err := tr.Open(ctx, e)
			if err != nil {
				return err
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				return err
			}
			data[e.Path] = b
		}
		e.Handle = nil
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, data
}

func sortedPaths(items []item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.e.Path)
	}
	sort.Strings(out)
	return out
}

func newTestRepoWith(t testing.TB, o Options) (*Repository, *repotest.Mem) {
	t.Helper()
	st := repotest.NewMem()
	r, err := Init(context.Background(), st, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, st
}

// testFacts are minimal facts for a source type.
func testFacts(typ string) provider.Facts { return provider.Facts{Type: typ, Identity: "/src"} }

type Entry = provider.Entry

func parseID(s string) (pack.ID, error) { return pack.ParseID(s) }

func readFile(ctx context.Context, tr provider.Tree, path string) ([]byte, error) {
	var out []byte
	err := tr.Walk(ctx, func(e provider.Entry) error {
		if e.Path != path {
			return nil
		}
		rc, err := tr.Open(ctx, e)
		if err != nil {
			return err
		}
		defer rc.Close()
		out, err = io.ReadAll(rc)
		return err
	})
	return out, err
}

func newRng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }

// mustRootSubtree returns the tree id of the only directory under m's root.
func mustRootSubtree(t *testing.T, r *Repository, m *Manifest) pack.ID {
	t.Helper()
	root, _ := pack.ParseID(m.Sources[0].Root)
	nodes, err := r.loadTree(context.Background(), root)
	if err != nil || len(nodes) != 1 || nodes[0].Subtree == nil {
		t.Fatalf("root tree: %v", err)
	}
	return *nodes[0].Subtree
}
