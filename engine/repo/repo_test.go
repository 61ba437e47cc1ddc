package repo

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/repotest"
)

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	st := repotest.NewMem()
	if _, err := Open(ctx, st, testOptions()); !errors.Is(err, ErrNoRepository) {
		t.Fatalf("open empty: %v", err)
	}
	o := testOptions()
	o.Passphrase = ""
	if _, err := Init(ctx, st, o); !errors.Is(err, ErrNoPassphrase) || !strings.Contains(err.Error(), `encryption = "none"`) {
		t.Fatalf("init without passphrase: %v", err)
	}
	r, created, err := OpenOrInit(ctx, st, testOptions())
	if err != nil || !created {
		t.Fatalf("open or init: %v %v", created, err)
	}
	r.Close()
	if _, err := Init(ctx, st, testOptions()); !errors.Is(err, ErrRepositoryExists) {
		t.Fatalf("init twice: %v", err)
	}
	o = testOptions()
	o.Passphrase = "wrong"
	if _, err := Open(ctx, st, o); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrong") && strings.Contains(err.Error(), o.Passphrase+"\"") {
		t.Fatalf("error shows the passphrase: %v", err)
	}
	o = testOptions()
	o.Encryption, o.Passphrase = EncryptionNone, ""
	if _, err := Open(ctx, st, o); !errors.Is(err, ErrEncryptionMismatch) {
		t.Fatalf("open encrypted as none: %v", err)
	}
	r, created, err = OpenOrInit(ctx, st, testOptions())
	if err != nil || created {
		t.Fatalf("reopen: %v %v", created, err)
	}
	r.Close()
	if ok, err := Exists(ctx, st); !ok || err != nil {
		t.Fatalf("exists: %v %v", ok, err)
	}
}

func TestNoneMustBeExplicit(t *testing.T) {
	ctx := context.Background()
	st := repotest.NewMem()
	o := testOptions()
	o.Encryption, o.Passphrase = EncryptionNone, ""
	r, err := Init(ctx, st, o)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if len(st.Names("keys/")) != 0 {
		t.Errorf("unencrypted repository has key files")
	}
	// The default (encrypted) configuration refuses an unencrypted repository.
	if _, err := Open(ctx, st, testOptions()); !errors.Is(err, ErrEncryptionMismatch) {
		t.Fatalf("open none as encrypted: %v", err)
	}
}

func TestDedupAndIncremental(t *testing.T) {
	r, st := newTestRepo(t)
	rng := rand.New(rand.NewPCG(3, 4))
	mt := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	big := randBytes(rng, 3<<20)
	items := []item{fileItem("a.bin", big, mt), fileItem("copy/b.bin", big, mt), fileItem("c.txt", textBytes(rng, 50000), mt)}
	m1 := backup(t, r, nil, "files", "x", items)
	src := m1.Source("files.x")
	if src.StoredBytes > int64(len(big))+200<<10 {
		t.Errorf("duplicate content stored twice: %d stored for %d unique", src.StoredBytes, len(big))
	}
	stats1, err := r.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	// Incremental: everything reused, one new small file.
	ctx := context.Background()
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Parent: m1})
	if err != nil {
		t.Fatal(err)
	}
	sw := w.Source("files", "x")
	for _, it := range items {
		pe, ok := sw.Parent(it.e.Path)
		if !ok || pe.Size != it.e.Size || !pe.ModTime.Equal(it.e.ModTime) || pe.Inode != it.e.Inode {
			t.Fatalf("parent of %s: %+v %v", it.e.Path, pe, ok)
		}
		if err := sw.Reuse(ctx, it.e); err != nil {
			t.Fatal(err)
		}
	}
	newFile := fileItem("new.txt", []byte("hello"), mt)
	if _, ok := sw.Parent("new.txt"); ok {
		t.Fatal("parent has new.txt")
	}
	if err := sw.Put(ctx, newFile.e, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	if err := sw.Finish(ctx, testFacts("files")); err != nil {
		t.Fatal(err)
	}
	m2, err := w.Commit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Parent != m1.ID || m2.Strategy != "incremental" || m2.ID != "20250304-0506-incremental" {
		t.Errorf("manifest %+v", m2)
	}
	if p := w.Progress(); p.BytesRead != 5 || p.Files != 4 {
		t.Errorf("progress %+v", p)
	}
	stats2, err := r.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if grew := stats2.StoredBytes - stats1.StoredBytes; grew > 4096 {
		t.Errorf("incremental stored %d bytes", grew)
	}
	checkItems(t, r, m2, "files.x", append(items, newFile))
	r2 := openTestRepo(t, st)
	checkItems(t, r2, m2, "files.x", append(items, newFile))
}

func TestSnapshotIDs(t *testing.T) {
	r, _ := newTestRepo(t)
	ctx := context.Background()
	items := []item{fileItem("f", []byte("x"), time.Time{})}
	a := backup(t, r, nil, "files", "x", items)
	b := backup(t, r, nil, "files", "x", items)
	c := backup(t, r, nil, "files", "x", items)
	if a.ID != "20250304-0506-full" || b.ID != "20250304-0506-full-2" || c.ID != "20250304-0506-full-3" {
		t.Fatalf("ids %s %s %s", a.ID, b.ID, c.ID)
	}
	if _, err := r.Snapshot(ctx, "2025"); !errors.Is(err, ErrAmbiguousID) || !strings.Contains(err.Error(), b.ID) {
		t.Errorf("ambiguous: %v", err)
	}
	if m, err := r.Snapshot(ctx, a.ID); err != nil || m.ID != a.ID {
		t.Errorf("exact: %v", err)
	}
	if m, err := r.Snapshot(ctx, "20250304-0506-full-3"); err != nil || m.ID != c.ID {
		t.Errorf("prefix: %v", err)
	}
	if _, err := r.Snapshot(ctx, "1999"); !errors.Is(err, ErrSnapshotNotFound) {
		t.Errorf("missing: %v", err)
	}
	if err := r.Forget(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	all, err := r.Snapshots(ctx)
	if err != nil || len(all) != 2 || all[0].ID != a.ID || all[1].ID != c.ID {
		t.Fatalf("snapshots after forget: %v %v", all, err)
	}
}
