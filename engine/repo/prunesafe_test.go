package repo

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/faulty"
)

// safeOptions are testOptions with the real prune safety rules and a clock
// that skew moves forward.
func safeOptions(skew *atomic.Int64) Options {
	o := testOptions()
	o.PruneMargin, o.PruneGrace = 0, 0 // the defaults: 1 hour, 24 hours
	o.Clock = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	return o
}

func openWith(t *testing.T, st storage.Storage, o Options) *Repository {
	t.Helper()
	r, err := Open(context.Background(), st, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func checkSnapshot(t *testing.T, r *Repository, m *Manifest) {
	t.Helper()
	rep, err := r.Check(context.Background(), []*Manifest{m}, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("check %s: %+v %v", m.ID, rep, err)
	}
}

// TestPruneSparesSnapshotHiddenByLag: a snapshot and its index are
// committed, the listing does not show them yet, and a prune runs. Without
// the safety margin the new packs look like crash debris and are deleted.
func TestPruneSparesSnapshotHiddenByLag(t *testing.T) {
	var skew atomic.Int64
	o := safeOptions(&skew)
	mem := repotest.NewMem()
	f := faulty.New(mem)
	r, err := Init(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	items := crashItems(21, 8)
	b := backup(t, r, nil, "files", "x", items)
	f.ListLag(2) // the index and the snapshot, written last
	if got := mem.Names("snapshots/"); len(got) != 1 {
		t.Fatalf("snapshots: %v", got)
	}
	if ids, _ := openWith(t, f, o).snapshotIDs(context.Background()); len(ids) != 0 {
		t.Fatalf("the lag does not hide the snapshot: %v", ids)
	}
	if packs := listed(t, f, "data/"); len(packs) == 0 {
		t.Fatal("the lag hides the packs too; the test needs them listed")
	}
	st, err := openWith(t, f, o).Prune(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if st.PacksDeleted+st.OrphansDeleted != 0 || st.BytesFreed != 0 {
		t.Errorf("prune deleted young packs: %+v", st)
	}
	f.Reset()
	r2 := openWith(t, f, o)
	checkSnapshot(t, r2, b)
	checkItems(t, r2, b, "files.x", items)
}

func listed(t *testing.T, st storage.Storage, prefix string) []string {
	t.Helper()
	var names []string
	if err := st.List(context.Background(), prefix, func(oi storage.ObjectInfo) error {
		names = append(names, oi.Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

// TestPruneTwoPhase: a prune only marks unused packs; a backup that had
// loaded the index before that prune deduplicates against them and commits;
// the next prune (after the grace period) finds them used again and indexes
// them instead of deleting them. Deleting at once would lose its data.
func TestPruneTwoPhase(t *testing.T) {
	var skew atomic.Int64
	o := safeOptions(&skew)
	mem := repotest.NewMem()
	r, err := Init(context.Background(), mem, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	ctx := context.Background()
	items := crashItems(22, 8)
	a := backup(t, r, nil, "files", "x", items)
	mem.Age("", 2*time.Hour) // older than the margin
	stale := openWith(t, mem, o)
	if err := r.Forget(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	packs := mem.Names("data/")
	dry, err := r.Prune(ctx, true)
	if err != nil || dry.PacksMarked == 0 || dry.PacksDeleted != 0 || dry.BytesFreed != 0 || dry.BytesMarked == 0 {
		t.Fatalf("dry run: %+v %v, want packs marked, none deleted", dry, err)
	}
	st, err := r.Prune(ctx, false)
	if err != nil || st.PacksMarked != dry.PacksMarked || st.PacksDeleted != 0 || st.BytesFreed != 0 {
		t.Fatalf("first prune: %+v %v, want %d packs marked, none deleted", st, err, dry.PacksMarked)
	}
	if got := mem.Names("data/"); len(got) != len(packs) {
		t.Fatalf("first prune deleted packs: %d of %d left", len(got), len(packs))
	}
	if len(mem.Names("prune/")) != 1 {
		t.Fatalf("no deletion candidates recorded: %v", mem.Names("prune/"))
	}
	// Marking reads the candidates' headers; the index keeps out of them.
	if _, err := r.Prune(ctx, true); err != nil {
		t.Fatal(err)
	}
	for _, name := range packs {
		if id, _ := parseID(name[strings.LastIndexByte(name, '/')+1:]); r.idx.HasPack(id) {
			t.Errorf("candidate %s is in the in-memory index after a dry run", name)
		}
	}

	// A backup whose index predates the prune reuses the marked blobs.
	b := backup(t, stale, nil, "files", "x", items)
	skew.Store(int64(25 * time.Hour))
	st, err = openWith(t, mem, o).Prune(ctx, false)
	if err != nil || st.PacksDeleted != 0 || st.BytesFreed != 0 || st.PacksMarked != 0 {
		t.Fatalf("second prune: %+v %v, want the candidates used again, none deleted", st, err)
	}
	r2 := openWith(t, mem, o)
	checkSnapshot(t, r2, b)
	checkItems(t, r2, b, "files.x", items)

	// Unused again: marked, then deleted a grace period later.
	if err := r2.Forget(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	mem.Age("", 2*time.Hour)
	if st, err = r2.Prune(ctx, false); err != nil || st.PacksMarked == 0 || st.PacksDeleted != 0 {
		t.Fatalf("third prune: %+v %v, want packs marked", st, err)
	}
	skew.Store(int64(50 * time.Hour))
	r3 := openWith(t, mem, o)
	dry, err = r3.Prune(ctx, true)
	if err != nil || dry.PacksDeleted == 0 || dry.BytesFreed == 0 || dry.PacksMarked != 0 {
		t.Fatalf("dry run after the grace period: %+v %v, want packs deleted", dry, err)
	}
	if st, err = r3.Prune(ctx, false); err != nil || st.PacksDeleted != dry.PacksDeleted || st.BytesFreed != dry.BytesFreed {
		t.Fatalf("fourth prune: %+v %v, want %+v", st, err, dry)
	}
	if got := mem.Names("data/"); len(got) != 0 {
		t.Errorf("packs left after the grace period: %v", got)
	}
	if got := mem.Names("prune/"); len(got) != 0 {
		t.Errorf("deletion candidates left: %v", got)
	}
}

// TestForgetIsExact: forgetting a snapshot another process forgot first
// does not forget the snapshot whose id it is a prefix of.
func TestForgetIsExact(t *testing.T) {
	r, mem := newTestRepo(t)
	ctx := context.Background()
	a := backup(t, r, nil, "files", "x", crashItems(41, 2))
	b := backup(t, r, nil, "files", "x", crashItems(42, 2))
	if !strings.HasPrefix(b.ID, a.ID) {
		t.Fatalf("ids %s and %s: the test needs one to be a prefix of the other", a.ID, b.ID)
	}
	if err := openTestRepo(t, mem).Forget(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	stale := openTestRepo(t, mem)
	if err := stale.Forget(ctx, a.ID); !errors.Is(err, ErrSnapshotNotFound) {
		t.Errorf("forgetting %s again: %v, want ErrSnapshotNotFound", a.ID, err)
	}
	if _, err := openTestRepo(t, mem).Snapshot(ctx, b.ID); err != nil {
		t.Errorf("snapshot %s is gone: %v", b.ID, err)
	}
}
