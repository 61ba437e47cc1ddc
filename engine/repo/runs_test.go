package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage/faulty"
)

// coalesceFixture backs up one 6 MiB file (about 85 chunks, written close
// together in one or two packs) through a counting storage and returns
// its tree entry.
func coalesceFixture(t *testing.T) (*Repository, *repotest.Mem, *faulty.Storage, Entry, []byte) {
	t.Helper()
	mem := repotest.NewMem()
	st := faulty.New(mem)
	r, err := Init(context.Background(), st, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	data := randBytes(newRng(9), 6<<20)
	m := backup(t, r, nil, "files", "site", []item{fileItem("big.bin", data, time.Unix(1700000000, 0))})
	tr, err := r.Tree(context.Background(), m, "files.site")
	if err != nil {
		t.Fatal(err)
	}
	var e Entry
	_ = tr.Walk(context.Background(), func(x Entry) error { e = x; return nil })
	return r, mem, st, e, data
}

func TestReadsCoalesce(t *testing.T) {
	r, _, st, e, data := coalesceFixture(t)
	chunks := len(e.Handle.(*handle).content)
	st.Reset()
	tr := &tree{r: r}
	rc, err := tr.Open(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	// 6 MiB in runs of at most runMax, split again at pack boundaries:
	// a few reads, where one per chunk would be about 80 (the count varies
	// with the repository's chunker key: 79 to 89 seen).
	gets := st.Counts().Gets
	t.Logf("%d range reads for %d chunks", gets, chunks)
	if chunks < 40 || gets > int64(chunks/8) {
		t.Errorf("%d range reads for %d chunks, want at most %d", gets, chunks, chunks/8)
	}
}

// TestRunStopsAtDamage checks that a damaged chunk inside a run fails the
// read there: everything before it arrives, nothing after it.
func TestRunStopsAtDamage(t *testing.T) {
	r, mem, _, e, data := coalesceFixture(t)
	ids := e.Handle.(*handle).content
	var before int
	for _, id := range ids[:3] {
		loc, _ := r.idx.Lookup(id)
		before += int(loc.RawLen)
	}
	loc, _ := r.idx.Lookup(ids[3])
	if !mem.Corrupt(packName(loc.Pack), int(loc.Offset)+10) {
		t.Fatal("cannot corrupt")
	}
	rc, err := (&tree{r: r}).Open(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err == nil || !errors.Is(err, errDamaged) || !strings.Contains(err.Error(), "big.bin") {
		t.Fatalf("read of a damaged file: %v", err)
	}
	if len(got) != before || !bytes.Equal(got, data[:before]) {
		t.Errorf("read %d bytes before the damage, want the %d of the first three chunks", len(got), before)
	}
}

func TestBlobRunAddAndLean(t *testing.T) {
	p1, p2 := pack.ID{1}, pack.ID{2}
	at := func(p pack.ID, off, n uint32) index.Location {
		return index.Location{Pack: p, Kind: pack.KindData, Offset: off, Length: n}
	}
	cases := []struct {
		name  string
		locs  []index.Location
		added int    // blobs add accepts
		lean  []bool // lean after each
	}{
		{"back to back", []index.Location{at(p1, 0, 100), at(p1, 100, 100), at(p1, 200, 100)}, 3, []bool{true, true, true}},
		{"late chunk fills the gap", []index.Location{at(p1, 0, 100), at(p1, 200, 100), at(p1, 100, 100)}, 3, []bool{true, false, true}},
		{"other pack", []index.Location{at(p1, 0, 100), at(p2, 100, 100)}, 1, []bool{true}},
		{"small gap", []index.Location{at(p1, 0, 100), at(p1, 150, 100)}, 2, []bool{true, true}},
		{"large gap", []index.Location{at(p1, 0, 100), at(p1, 1000, 100)}, 2, []bool{true, false}},
		{"over runMax", []index.Location{at(p1, 0, runMax-10), at(p1, runMax-10, 100)}, 1, []bool{true}},
		{"one blob over runMax", []index.Location{at(p1, 0, runMax+1)}, 1, []bool{true}},
	}
	for _, c := range cases {
		var run blobRun
		var lean []bool
		for i, loc := range c.locs {
			if !run.add(pack.ID{byte(i)}, loc) {
				break
			}
			lean = append(lean, run.lean())
		}
		if len(run.ids) != c.added || fmt.Sprint(lean) != fmt.Sprint(c.lean) {
			t.Errorf("%s: %d blobs added, lean %v; want %d, %v", c.name, len(run.ids), lean, c.added, c.lean)
		}
	}
}
