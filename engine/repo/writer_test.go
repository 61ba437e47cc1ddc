package repo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

func TestFlushCheckCommitAndAbort(t *testing.T) {
	r, st := newTestRepo(t)
	ctx := context.Background()
	dump := textBytes(newRng(12), 300000)
	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "db", Plan: "plan.hcl", Strategy: "dump"})
	if err != nil {
		t.Fatal(err)
	}
	sw := w.Source("sqlite", "app")
	e := provider.Entry{Path: "app.db", Kind: provider.KindFile, Mode: 0o600, Size: int64(len(dump))}
	if err := sw.Put(ctx, e, bytes.NewReader(dump)); err != nil {
		t.Fatal(err)
	}
	if err := sw.Finish(ctx, provider.Facts{Type: "sqlite", Identity: "/var/app.db", ServerVersion: "sqlite 3", Rows: 7, Tables: 2}); err != nil {
		t.Fatal(err)
	}
	pending, err := w.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Names("snapshots/")) != 0 {
		t.Fatal("snapshot visible before Commit")
	}
	rep, err := r.Check(ctx, []*Manifest{pending}, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("check pending: %+v %v", rep, err)
	}
	tr, _ := r.Tree(ctx, pending, "sqlite.app")
	got, err := readFile(ctx, tr, "app.db")
	if err != nil || !bytes.Equal(got, dump) {
		t.Fatalf("read pending: %v", err)
	}
	if err := sw.Put(ctx, provider.Entry{Path: "late", Kind: provider.KindFile}, nil); err == nil {
		t.Error("Put after Flush accepted")
	}
	v := &Verification{Time: time.Unix(5, 0).UTC(), Checksums: "ok", TestRestore: map[string]string{"sqlite.app": "ok: 1 files"}}
	m, err := w.Commit(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := openTestRepo(t, st).Snapshot(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	src := loaded.Source("sqlite.app")
	sum := sha256.Sum256(dump)
	if src.Checksum != "sha256:"+hex.EncodeToString(sum[:]) || src.Rows != 7 || src.Tables != 2 ||
		src.ServerVersion != "sqlite 3" || loaded.Verification.TestRestore["sqlite.app"] != "ok: 1 files" ||
		loaded.Plan != "plan.hcl" || loaded.ID != "20250304-0506-dump" || loaded.VelinVersion != "test" || loaded.Host != "testhost" {
		t.Errorf("manifest %+v source %+v", loaded, src)
	}

	// Abort: nothing becomes visible.
	w2, _ := r.NewSnapshot(ctx, SnapshotMeta{})
	sw2 := w2.Source("files", "x")
	_ = sw2.Put(ctx, provider.Entry{Path: "f", Kind: provider.KindFile}, bytes.NewReader([]byte("abc")))
	w2.Abort()
	if err := sw2.Finish(ctx, provider.Facts{}); err == nil {
		t.Error("Finish after Abort accepted")
	}
	if _, err := w2.Commit(ctx, nil); err == nil {
		t.Error("Commit after Abort accepted")
	}
	if snaps, _ := r.Snapshots(ctx); len(snaps) != 1 {
		t.Errorf("%d snapshots after abort", len(snaps))
	}
}

func TestPutRejectsBadEntries(t *testing.T) {
	r, _ := newTestRepo(t)
	ctx := context.Background()
	w, _ := r.NewSnapshot(ctx, SnapshotMeta{})
	defer w.Abort()
	sw := w.Source("files", "x")
	for _, e := range []provider.Entry{
		{Path: "../escape", Kind: provider.KindFile},
		{Path: "/abs", Kind: provider.KindFile},
		{Path: "a//b", Kind: provider.KindFile},
		{Path: "l", Kind: provider.KindSymlink},
		{Path: "x", Kind: "device"},
	} {
		if err := sw.Put(ctx, e, nil); err == nil {
			t.Errorf("Put(%+v) accepted", e)
		}
	}
	if err := sw.Put(ctx, provider.Entry{Path: "f", Kind: provider.KindFile}, nil); err != nil {
		t.Fatal(err)
	}
	if err := sw.Put(ctx, provider.Entry{Path: "f/child", Kind: provider.KindFile}, nil); err != nil {
		t.Fatal(err)
	}
	if err := sw.Finish(ctx, provider.Facts{}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file with children accepted: %v", err)
	}
	if err := sw.Finish(ctx, provider.Facts{}); err == nil {
		t.Error("a second Finish after a failed one succeeded")
	}
	if _, err := w.Flush(ctx); err == nil || errors.Is(err, context.Canceled) {
		t.Errorf("flush with unfinished source: %v", err)
	}
}

// TestFinishRejectsDuplicates: the same path Put twice (a file, a
// directory) fails the source's Finish, however far apart the two Puts
// are (the second one after the first was spilled to a run).
func TestFinishRejectsDuplicates(t *testing.T) {
	for _, kind := range []provider.Kind{provider.KindFile, provider.KindDir} {
		r, _ := newTestRepo(t)
		ctx := context.Background()
		w, _ := r.NewSnapshot(ctx, SnapshotMeta{})
		sw := w.Source("files", "x")
		sw.runs.limit = 1 << 10 // every few entries make a run
		put := func(p string) {
			if err := sw.Put(ctx, provider.Entry{Path: p, Kind: kind, Mode: 0o755}, nil); err != nil {
				t.Fatal(err)
			}
		}
		put("dup")
		for i := range 50 {
			put(fmt.Sprintf("other-%02d", i))
		}
		put("dup")
		if err := sw.Finish(ctx, provider.Facts{}); err == nil || !strings.Contains(err.Error(), "duplicate") {
			t.Errorf("%s Put twice: Finish says %v", kind, err)
		}
		w.Abort()
	}
}

// TestPipelineBoundsPacksInMemory: a write pipeline starts a pack only in
// one of its packBuffers buffers: with all of them in use (filling,
// queued or uploading) the next pack waits for one, so a failed pipeline
// starts none, and a buffer given back starts the next.
func TestPipelineBoundsPacksInMemory(t *testing.T) {
	r, _ := newTestRepo(t)
	p := newPipeline(r)
	defer p.abort()
	var held []*pack.Builder
	for range packBuffers {
		b := p.newBuilder()
		if b == nil {
			t.Fatal("no pack buffer")
		}
		held = append(held, b)
	}
	data, _, _ := held[0].Finish(r.key) // as an uploader does once its Put returned
	p.release(data)
	if b := p.newBuilder(); b == nil {
		t.Fatal("a buffer given back did not start a pack")
	}
	p.fail(context.Canceled)
	if b := p.newBuilder(); b != nil {
		t.Fatalf("a pack beyond the %d buffers was started", packBuffers)
	}
}

// TestPackNeverOutgrowsItsBuffer: a blob that would not fit in the
// current pack's buffer (a large tree blob onto a nearly full pack) starts
// the next pack, so no pack is larger than the buffer it was built in.
func TestPackNeverOutgrowsItsBuffer(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	r.packSize = 400 << 10 // two blobs under it overflow the buffer, in either order
	p := newPipeline(r)
	rng := newRng(10)
	for _, b := range []struct {
		kind pack.Kind
		n    int
	}{{pack.KindData, 399 << 10}, {pack.KindTree, 399 << 10}} {
		data := randBytes(rng, b.n)
		id := r.key.BlobID(data)
		if !p.reserve(id) {
			t.Fatal("blob not new")
		}
		if err := p.submit(ctx, job{kind: b.kind, id: id, data: data}, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.close(); err != nil {
		t.Fatal(err)
	}
	packs := 0
	for _, name := range st.Names("data/") {
		oi, err := st.Stat(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		packs++
		if oi.Size > int64(p.packCap()) {
			t.Errorf("pack %s of %d bytes outgrew its %d-byte buffer", name, oi.Size, p.packCap())
		}
	}
	if packs < 2 {
		t.Fatalf("%d packs", packs)
	}
}
