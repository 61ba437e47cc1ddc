package repo

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/faulty"
)

// listLog records the prefixes a storage is listed with.
type listLog struct {
	storage.Storage
	mu       sync.Mutex
	prefixes []string
}

func (l *listLog) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	l.mu.Lock()
	l.prefixes = append(l.prefixes, prefix)
	l.mu.Unlock()
	return l.Storage.List(ctx, prefix, fn)
}

// take returns the prefixes listed since the last take.
func (l *listLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.prefixes
	l.prefixes = nil
	return p
}

// TestLeftoversOneListing: an empty location is found empty with one
// listing; an object under keys/, snapshots/, index/ or data/ is still
// refused, and objects elsewhere (a lock, a probe) are not leftovers.
func TestLeftoversOneListing(t *testing.T) {
	ctx := context.Background()
	log := &listLog{Storage: repotest.NewMem()}
	if _, err := Open(ctx, log, testOptions()); !errors.Is(err, ErrNoRepository) {
		t.Fatalf("open of an empty storage: %v", err)
	}
	if got := log.take(); !slices.Equal(got, []string{""}) {
		t.Errorf("an empty storage was listed with %q, want one listing of everything", got)
	}
	for _, name := range []string{"keys/k", "snapshots/s", "index/i", "data/ab/abc"} {
		st := repotest.NewMem()
		put(t, st, "locks/l")
		put(t, st, name)
		if _, err := Open(ctx, st, testOptions()); !errors.Is(err, ErrConfigMissing) || !strings.Contains(err.Error(), name[:strings.Index(name, "/")+1]) {
			t.Errorf("open with %s left: %v, want ErrConfigMissing naming its prefix", name, err)
		}
	}
	st := repotest.NewMem()
	put(t, st, "locks/l")
	put(t, st, probePrefix+"x")
	if _, _, err := OpenOrInit(ctx, st, testOptions()); err != nil {
		t.Errorf("a lock and a probe refused a new repository: %v", err)
	}
}

func put(t *testing.T, st storage.Storage, name string) {
	t.Helper()
	if err := st.Put(context.Background(), name, bytes.NewReader([]byte("x")), 1, storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestInitProbesWithConfig: Init learns whether the storage honours
// IfAbsent by writing config twice, so the first commit sends no probe;
// on a storage that ignores IfAbsent the config keeps its bytes and the
// snapshot id gets its host tag.
func TestInitProbesWithConfig(t *testing.T) {
	ctx := context.Background()
	for _, honours := range []bool{true, false} {
		f := faulty.New(repotest.NewMem())
		if !honours {
			f.IgnoreIfAbsent()
		}
		r, err := Init(ctx, f, testOptions())
		if err != nil {
			t.Fatal(err)
		}
		f.FailWithPrefix(faulty.OpPut, probePrefix) // a probe fails the commit
		m, err := commitOne(ctx, r, "one")
		if err != nil {
			t.Fatalf("honours %v: the commit probed: %v", honours, err)
		}
		if tagged := m.ID != "20250304-0506-full"; tagged == honours {
			t.Errorf("honours %v: id %q", honours, m.ID)
		}
		if _, err := readConfig(ctx, f); err != nil {
			t.Errorf("honours %v: config after the probe: %v", honours, err)
		}
		r.Close()
	}
}

// TestFirstLockAfterInit: the first lock of the Repository that created
// the repository lists neither index/ nor snapshots/ (both were empty
// moments ago); the next lock does, and sees another process's snapshot.
func TestFirstLockAfterInit(t *testing.T) {
	ctx := context.Background()
	log := &listLog{Storage: repotest.NewMem()}
	r, err := Init(ctx, log, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lockAndList := func() []string {
		t.Helper()
		log.take()
		lock, err := r.Lock(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Unlock(ctx)
		if _, err := r.recentSnapshots(ctx); err != nil {
			t.Fatal(err)
		}
		return log.take()
	}
	if got := lockAndList(); !slices.Equal(got, []string{"locks/"}) {
		t.Errorf("the first lock and a parent's lookup listed %q, want only locks/", got)
	}
	if _, err := commitOne(ctx, openTestRepo(t, log), "other process"); err != nil {
		t.Fatal(err)
	}
	if got := lockAndList(); !slices.Equal(got, []string{"locks/", "index/", "snapshots/"}) {
		t.Errorf("the second lock and a parent's lookup listed %q, want locks/, index/, snapshots/", got)
	}
	if snaps, err := r.recentSnapshots(ctx); err != nil || len(snaps) != 1 {
		t.Errorf("after the second lock: %d snapshots (%v), want the other process's", len(snaps), err)
	}
}
