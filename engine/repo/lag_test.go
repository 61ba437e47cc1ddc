package repo

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/faulty"
)

// TestCrashOverLaggingListing repeats the crash test of backup and prune
// on a storage whose listings lag behind the last writes (new objects
// hidden, deleted ones still listed), with prune's safety rules on (the
// clock moved past the margin and the grace period): a crash at any point,
// followed by runs that see a stale listing, loses nothing and leaves no
// partial snapshot; in the end prune has reclaimed everything unused.
func TestCrashOverLaggingListing(t *testing.T) {
	var skew atomic.Int64
	o := safeOptions(&skew)
	o.PruneGrace = time.Hour
	open := func(st storage.Storage) *Repository {
		r := openWith(t, st, o)
		r.packSize = 64 << 10
		return r
	}
	_, mem := newTestRepo(t)
	lag := faulty.New(mem)
	if _, err := tryBackup(open(lag), crashItems(31, 10)); err != nil {
		t.Fatal(err)
	}
	lag.ListLag(4)
	second := crashItems(32, 10)
	for n := int64(0); ; n++ {
		_, err := tryBackup(open(crashAfter(lag, n)), second)
		if err == nil {
			break
		}
		if !errors.Is(err, faulty.ErrInjected) {
			t.Fatalf("crash after %d writes: %v", n, err)
		}
		checkAll(t, mem, 1)
	}
	snaps := checkAll(t, mem, 2)
	if err := open(lag).Forget(context.Background(), snaps[0].ID); err != nil {
		t.Fatal(err)
	}
	// Mark (all packs older than the margin), then delete (the grace
	// period passed), crashing each prune at every point.
	for phase := range 3 {
		lag.CatchUp() // two hours pass: the listing has caught up
		mem.Age("", 2*time.Hour)
		skew.Add(int64(2 * time.Hour))
		for n := int64(0); ; n++ {
			_, err := open(crashAfter(lag, n)).Prune(context.Background(), false)
			if err == nil {
				break
			}
			if !errors.Is(err, faulty.ErrInjected) {
				t.Fatalf("phase %d: prune crash after %d writes: %v", phase, n, err)
			}
			checkAll(t, mem, 1)
		}
	}
	lag.Reset()
	snaps = checkAll(t, mem, 1)
	checkItems(t, openTestRepo(t, mem), snaps[0], "files.x", second)
	for range 2 { // mark, then delete the debris of the crashed runs
		mem.Age("", 2*time.Hour)
		skew.Add(int64(2 * time.Hour))
		if _, err := open(mem).Prune(context.Background(), false); err != nil {
			t.Fatal(err)
		}
	}
	mem.Age("", 2*time.Hour)
	skew.Add(int64(2 * time.Hour))
	st, err := open(mem).Prune(context.Background(), true)
	if err != nil || st.PacksDeleted+st.PacksRewritten+st.OrphansDeleted+st.BlobsRemoved+st.PacksMarked != 0 {
		t.Fatalf("prune has work left: %+v %v", st, err)
	}
}

// TestBackupRestoreOverFaults backs up through a lagging storage that
// fails some writes, retrying each failed backup, and restores the
// result: failed attempts leave debris, never damage.
func TestBackupRestoreOverFaults(t *testing.T) {
	_, mem := newTestRepo(t)
	f := faulty.New(mem)
	f.ListLag(5)
	items := crashItems(33, 12)
	var m *Manifest
	failed := 0
	for attempt := range 10 {
		f.FailPut(1 + attempt*3)
		var err error
		if m, err = tryBackup(openSmallPacks(t, f), items); err == nil {
			break
		}
		if !errors.Is(err, faulty.ErrInjected) {
			t.Fatal(err)
		}
		failed++
	}
	if m == nil || failed == 0 {
		t.Fatalf("backup: %d attempts failed, snapshot %v", failed, m)
	}
	f.Reset()
	r := openTestRepo(t, f)
	checkSnapshot(t, r, m)
	checkItems(t, r, m, "files.x", items)
}

// TestOpenJustCreatedOverLaggingListing: a repository just created by
// another process opens even while the listing still hides its key file
// and config (Init's key file is found by name).
func TestOpenJustCreatedOverLaggingListing(t *testing.T) {
	ctx := context.Background()
	f := faulty.New(repotest.NewMem())
	f.ListLag(10)
	created, err := Init(ctx, f, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	created.Close()
	if n, _ := created.listNames(ctx, "keys/"); len(n) != 0 {
		t.Fatalf("the listing does not lag: %v", n)
	}
	r, err := Open(ctx, f, testOptions())
	if err != nil {
		t.Fatalf("open over a lagging listing: %v", err)
	}
	defer r.Close()
	if r.keyName != created.keyName {
		t.Fatalf("opened with %s, created %s", r.keyName, created.keyName)
	}
	o := testOptions()
	o.Passphrase = "another"
	if _, err := Open(ctx, f, o); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
}
