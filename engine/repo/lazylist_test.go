package repo

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// TestOpenStreamsContentLists: reading a long file does not expand its
// content lists into one slice of chunk ids when the tree is walked; the
// reader follows them one list at a time, depth-first, and reads the
// file's bytes back in order through several list levels.
func TestOpenStreamsContentLists(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.limits = smallLimits()
	r, _ := newTestRepoWith(t, o)
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	data := randBytes(newRng(11), 3<<20) // ~50 chunks: lists of 3, four levels
	m := backup(t, r, nil, "files", "s", []item{fileItem("dump.sql", data, mtime)})
	tr, err := r.Tree(ctx, m, "files.s")
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	err = tr.Walk(ctx, func(e provider.Entry) error {
		if e.Kind != provider.KindFile {
			return nil
		}
		h := e.Handle.(*handle)
		if len(h.content) != 0 || h.list == nil {
			t.Errorf("walk expanded the content lists: %d chunk ids in the handle", len(h.content))
		}
		rc, err := tr.Open(ctx, e)
		if err != nil {
			return err
		}
		defer rc.Close()
		got, err = io.ReadAll(rc)
		return err
	})
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d of %d bytes, equal %v: %v", len(got), len(data), bytes.Equal(got, data), err)
	}
	// The tree walked lazily is not cached: check still sees the lists.
	tb, err := r.loadTreeBlob(ctx, mustRoot(t, m))
	if err != nil || len(tb.nodes[0].Content) == 0 || len(tb.nodes[0].lists) < 4 {
		t.Fatalf("tree after a lazy walk: %d ids, %d lists: %v", len(tb.nodes[0].Content), len(tb.nodes[0].lists), err)
	}
}

// TestOpenStopsEarly: closing a reader of a long file half way stops the
// list walk (no goroutine left blocked, no error).
func TestOpenStopsEarly(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.limits = smallLimits()
	r, _ := newTestRepoWith(t, o)
	data := randBytes(newRng(12), 2<<20)
	m := backup(t, r, nil, "files", "s", []item{fileItem("big", data, time.Unix(1, 0))})
	tr, _ := r.Tree(ctx, m, "files.s")
	err := tr.Walk(ctx, func(e provider.Entry) error {
		if e.Kind != provider.KindFile {
			return nil
		}
		rc, err := tr.Open(ctx, e)
		if err != nil {
			return err
		}
		buf := make([]byte, 100_000)
		if _, err := io.ReadFull(rc, buf); err != nil || !bytes.Equal(buf, data[:len(buf)]) {
			t.Fatalf("first bytes: %v", err)
		}
		return rc.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}
