package repo

import (
	"context"
	"errors"
	"testing"

	"github.com/velinhq/velin/engine/storage/faulty"
)

// TestCrashOverLaggingListing repeats the crash test of backup and prune
// on a storage whose listings lag behind the last writes (new objects
// hidden, deleted ones still listed): a crash at any point, followed by
// runs that see a stale listing, loses nothing and leaves no partial
// snapshot; in the end prune has reclaimed everything unused.
func TestCrashOverLaggingListing(t *testing.T) {
	_, mem := newTestRepo(t)
	lag := faulty.New(mem)
	first := crashItems(31, 10)
	if _, err := tryBackup(openSmallPacks(t, lag), first); err != nil {
		t.Fatal(err)
	}
	lag.ListLag(4)
	second := crashItems(32, 10)
	for n := int64(0); ; n++ {
		_, err := tryBackup(openSmallPacks(t, crashAfter(lag, n)), second)
		if err == nil {
			break
		}
		if !errors.Is(err, faulty.ErrInjected) {
			t.Fatalf("crash after %d writes: %v", n, err)
		}
		checkAll(t, mem, 1)
	}
	snaps := checkAll(t, mem, 2)
	if err := openTestRepo(t, lag).Forget(context.Background(), snaps[0].ID); err != nil {
		t.Fatal(err)
	}
	for n := int64(0); ; n++ {
		_, err := openSmallPacks(t, crashAfter(lag, n)).Prune(context.Background(), false)
		if err == nil {
			break
		}
		if !errors.Is(err, faulty.ErrInjected) {
			t.Fatalf("prune crash after %d writes: %v", n, err)
		}
		checkAll(t, mem, 1)
	}
	// Prune again until the listing has caught up with the debris.
	for range 3 {
		if _, err := openSmallPacks(t, lag).Prune(context.Background(), false); err != nil {
			t.Fatal(err)
		}
	}
	lag.Reset()
	snaps = checkAll(t, mem, 1)
	checkItems(t, openTestRepo(t, mem), snaps[0], "files.x", second)
	st, err := openTestRepo(t, mem).Prune(context.Background(), true)
	if err != nil || st.PacksDeleted+st.PacksRewritten+st.OrphansDeleted+st.BlobsRemoved != 0 {
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
