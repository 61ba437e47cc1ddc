package repo

import (
	"bytes"
	"context"
	"io"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// TestParentIndexKeepsEntries: the parent index returns every field of
// every parent entry (nested paths, a symlink, meta, a long file with
// content lists) to concurrent callers, Reuse stores the parent's content,
// and classify counts new, changed and unchanged files right.
func TestParentIndexKeepsEntries(t *testing.T) {
	ctx := context.Background()
	o := testOptions()
	o.limits = smallLimits()
	r, _ := newTestRepoWith(t, o)
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	long := randBytes(newRng(5), 1<<20)
	items := []item{
		{e: provider.Entry{Path: "a", Kind: provider.KindDir, Mode: 0o755 | 1<<31, ModTime: mtime}},
		fileItem("a/long.sql", long, mtime),
		fileItem("a/same", []byte("same"), mtime),
		fileItem("a/edit", []byte("before"), mtime),
		{e: provider.Entry{Path: "a/link", Kind: provider.KindSymlink, Mode: 0o777 | 1<<27, ModTime: mtime, Target: "same"}},
	}
	items[2].e.Inode, items[2].e.Device, items[2].e.ChangeTime, items[2].e.UID = 42, 7, mtime.Add(time.Second), 33
	items[2].e.Meta = map[string]string{"k": "v"}
	first := backup(t, r, nil, "files", "s", items)

	w, err := r.NewSnapshot(ctx, SnapshotMeta{Backup: "b", Plan: "p", Parent: first})
	if err != nil {
		t.Fatal(err)
	}
	sw := w.Source("files", "s")
	var wg sync.WaitGroup
	for _, it := range items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, ok := sw.Parent(it.e.Path)
			want := it.e
			want.Size = int64(len(it.data))
			if !ok || !reflect.DeepEqual(got, want) {
				t.Errorf("parent of %s: %+v %v, want %+v", it.e.Path, got, ok, want)
			}
		}()
	}
	wg.Wait()
	if _, ok := sw.Parent("a/none"); ok {
		t.Fatal("a parent entry for a path the parent does not have")
	}
	for _, p := range []string{"a/long.sql", "a/same"} {
		e, _ := sw.Parent(p)
		if err := sw.Reuse(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	edit := fileItem("a/edit", []byte("after!"), mtime.Add(time.Hour))
	fresh := fileItem("a/new", []byte("new"), mtime)
	for _, it := range []item{items[0], items[4], edit, fresh} {
		if err := sw.Put(ctx, it.e, bytesReader(it)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Finish(ctx, provider.Facts{Type: "files", Identity: "/src/s"}); err != nil {
		t.Fatal(err)
	}
	second, err := w.Commit(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := second.Stats; s.FilesNew != 1 || s.FilesChanged != 1 || s.FilesUnmodified != 2 {
		t.Fatalf("stats %+v, want 1 new, 1 changed, 2 unmodified", s)
	}
	_, data := readAll(t, r, second, "files.s")
	if string(data["a/long.sql"]) != string(long) || string(data["a/same"]) != "same" || string(data["a/edit"]) != "after!" {
		t.Fatal("restored content differs")
	}
}

func bytesReader(it item) io.Reader {
	if it.e.Kind != provider.KindFile {
		return nil
	}
	return bytes.NewReader(it.data)
}
