package repo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/faulty"
)

// raceWorld is what the workers of TestPruneConcurrentRandomized share.
type raceWorld struct {
	f    *faulty.Storage
	o    Options
	pool [][]byte // file contents the backups pick from: they share blobs

	mu     sync.Mutex
	live   map[string][]item // snapshot id → its items, until forgotten
	errs   []error
	counts map[string]int
}

func (w *raceWorld) note(what string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.counts[what]++
	if err != nil && !errors.Is(err, faulty.ErrInjected) {
		w.errs = append(w.errs, fmt.Errorf("%s: %w", what, err))
	}
}

// backupRound opens the repository afresh (another process, another host)
// and backs up a random selection of the pool.
func (w *raceWorld) backupRound(rng *rand.Rand, n int) {
	r, err := Open(context.Background(), w.f, w.o)
	if err != nil {
		w.note("open", err)
		return
	}
	defer r.Close()
	var items []item
	for i, k := range rng.Perm(len(w.pool))[:4] {
		items = append(items, fileItem(fmt.Sprintf("d%d/f%02d", i%2, k), w.pool[k], time.Unix(int64(1e9+n), 0)))
	}
	// One file of its own: garbage once the snapshot is forgotten.
	items = append(items, fileItem("own", randBytes(rng, 20000), time.Unix(int64(1e9+n), 0)))
	m, err := tryBackup(r, items)
	w.note("backup", err)
	if err == nil {
		w.mu.Lock()
		w.live[m.ID] = items
		w.mu.Unlock()
	}
}

// pruneRound forgets some older snapshots, injects a fault now and then,
// and prunes, taking no lock: the locks of other hosts may be invisible
// under a lagging listing, so prune's own rules must keep data safe.
func (w *raceWorld) pruneRound(rng *rand.Rand) {
	r, err := Open(context.Background(), w.f, w.o)
	if err != nil {
		w.note("open", err)
		return
	}
	defer r.Close()
	ctx := context.Background()
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		w.note("list", err)
		return
	}
	for i := 0; i+3 < len(snaps); i++ {
		if rng.IntN(2) == 0 {
			w.mu.Lock()
			delete(w.live, snaps[i].ID)
			w.mu.Unlock()
			err := r.Forget(ctx, snaps[i].ID)
			if errors.Is(err, ErrSnapshotNotFound) {
				err = nil // the other pruner forgot it first
			}
			w.note("forget", err)
		}
	}
	if rng.IntN(3) == 0 {
		w.f.FailPut(1 + rng.IntN(20))
	}
	st, err := r.Prune(ctx, false)
	if errors.Is(err, storage.ErrNotFound) {
		// Another prune, just as unlocked, deleted what this one was
		// reading (the data of snapshots it forgot): this one stops.
		w.note("prune stopped", nil)
		return
	}
	w.note("prune", err)
	if err == nil && st.PacksDeleted+st.OrphansDeleted > 0 {
		w.note("prune deleted", nil)
	}
}

// TestPruneConcurrentRandomized runs three backup goroutines and one prune
// goroutine at once, each round with its own Repository and no lock, on one storage whose listings lag (new objects
// hidden, deleted ones still shown) and whose writes sometimes fail. At the
// end every snapshot not forgotten checks with all its data read, and has
// its content: no blob in use was ever deleted.
func TestPruneConcurrentRandomized(t *testing.T) {
	o := testOptions()
	o.Clock = time.Now
	o.PruneMargin, o.PruneGrace = time.Second, 1500*time.Millisecond
	mem := repotest.NewMem()
	f := faulty.New(mem)
	r, err := Init(context.Background(), f, o)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	time.Sleep(200 * time.Millisecond) // the keys are listed before the lag starts
	f.ListLag(8)
	f.ListLagFor(150 * time.Millisecond) // a lag well within the margin
	rng := rand.New(rand.NewPCG(7, 7))
	w := &raceWorld{f: f, o: o, live: map[string][]item{}, counts: map[string]int{}}
	for range 16 {
		w.pool = append(w.pool, randBytes(rng, 5000+rng.IntN(30000)))
	}
	// At least 25 rounds and 8 seconds (so that packs outlive the margin
	// and the grace period while backups run), at most 100 rounds.
	const backupers, rounds, maxRounds, minTime = 3, 25, 100, 8 * time.Second
	start := time.Now()
	var wg sync.WaitGroup
	done := make(chan struct{})
	for b := range backupers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(b), 1))
			for n := 0; n < maxRounds && (n < rounds || time.Since(start) < minTime); n++ {
				w.backupRound(rng, n)
				time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
			}
		}()
	}
	var pg sync.WaitGroup
	for p := range 1 {
		pg.Add(1)
		go func() {
			defer pg.Done()
			rng := rand.New(rand.NewPCG(uint64(p), 2))
			for {
				select {
				case <-done:
					return
				default:
				}
				w.pruneRound(rng)
				time.Sleep(time.Duration(50+rng.IntN(100)) * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	close(done)
	pg.Wait()
	for _, err := range w.errs {
		t.Error(err)
	}
	t.Logf("operations: %v", w.counts)
	if w.counts["prune deleted"] == 0 {
		t.Error("no prune deleted anything: the test exercised nothing")
	}

	// Quiet storage: one more prune indexes again the candidate packs
	// that late snapshots use, then everything checks.
	f.Reset()
	final := openTestRepo(t, f)
	final.opts.PruneMargin, final.opts.PruneGrace = o.PruneMargin, o.PruneGrace
	if _, err := final.Prune(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	r = openTestRepo(t, mem)
	snaps, err := r.Snapshots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Check(context.Background(), snaps, nil)
	if err != nil || !rep.OK() {
		debugLost(t, r, mem, rep)
		t.Fatalf("check of %d snapshots: %d damaged, %v: %+v", len(snaps), len(rep.Damaged), err, rep.Damaged)
	}
	for _, m := range snaps {
		if items, ok := w.live[m.ID]; ok {
			checkItems(t, r, m, "files.x", items)
		}
	}
	if len(w.live) == 0 || len(snaps) < len(w.live) {
		t.Errorf("%d snapshots left, %d expected", len(snaps), len(w.live))
	}
}

// debugLost says where the blobs a failed check misses are: in which pack,
// how old, indexed or not (a lost blob is in none).
func debugLost(t *testing.T, r *Repository, mem *repotest.Mem, rep *CheckReport) {
	ctx := context.Background()
	for _, d := range rep.Damaged {
		id, _ := parseID(d.Blob)
		for _, name := range mem.Names("data/") {
			pid, _ := parseID(name[len(name)-64:])
			oi, _ := mem.Stat(ctx, name)
			blobs, err := r.packHeader(ctx, pid, oi.Size)
			for _, b := range blobs {
				if b.ID == id {
					t.Logf("blob %s in pack %s (age %v, indexed %v, err %v)", d.Blob[:8], name, time.Since(oi.ModTime), r.idx.HasPack(pid), err)
				}
			}
		}
	}
	t.Logf("prune records: %v", mem.Names("prune/"))
}
