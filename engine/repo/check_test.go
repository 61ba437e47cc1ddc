package repo

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestCheckFindsFlippedByte(t *testing.T) {
	r, st := newTestRepo(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	mt := time.Unix(1700000000, 0)
	items := []item{fileItem("docs/a.txt", textBytes(rng, 100000), mt), fileItem("b.bin", randBytes(rng, 300000), mt)}
	m := backup(t, r, nil, "files", "site", items)

	rep, err := r.Check(ctx, []*Manifest{m}, nil)
	if err != nil || !rep.OK() || rep.Files != 2 || rep.Bytes == 0 {
		t.Fatalf("clean check: %+v %v", rep, err)
	}
	// Flip a byte inside the first blob of docs/a.txt.
	tr, _ := r.Tree(ctx, m, "files.site")
	var target *handle
	_ = tr.Walk(ctx, func(e Entry) error {
		if e.Path == "docs/a.txt" {
			target = e.Handle.(*handle)
		}
		return nil
	})
	loc, ok := r.idx.Lookup(target.content[0])
	if !ok || !st.Corrupt(packName(loc.Pack), int(loc.Offset)+20) {
		t.Fatal("cannot corrupt")
	}
	rep, err = r.Check(ctx, []*Manifest{m}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Damaged) != 1 {
		t.Fatalf("damage = %+v", rep.Damaged)
	}
	d := rep.Damaged[0]
	if d.Snapshot != m.ID || d.Source != "files.site" || d.Path != "docs/a.txt" || d.Pack != loc.Pack.String() || d.Err == "" {
		t.Errorf("damage %+v", d)
	}
	// Reading the file fails too, naming the path.
	_, err = readFile(ctx, tr, "docs/a.txt")
	if err == nil || !strings.Contains(err.Error(), "docs/a.txt") {
		t.Errorf("read damaged file: %v", err)
	}
}

func TestCheckFindsDamagedTree(t *testing.T) {
	r, st := newTestRepo(t)
	ctx := context.Background()
	mt := time.Unix(1700000000, 0)
	m := backup(t, r, nil, "files", "site", []item{fileItem("d/x", []byte("x"), mt)})
	tr := m.Source("files.site")
	id, _ := parseID(tr.Root)
	loc, _ := r.idx.Lookup(id)
	st.Corrupt(packName(loc.Pack), int(loc.Offset)+5)
	r2 := openTestRepo(t, st)
	rep, err := r2.Check(ctx, []*Manifest{m}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Damaged) != 1 || rep.Damaged[0].Path != "/" || rep.Damaged[0].Blob != tr.Root {
		t.Fatalf("damage %+v", rep.Damaged)
	}
}
