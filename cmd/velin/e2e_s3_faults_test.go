package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/engine/storage/s3/s3test/faultproxy"
)

// retarget points the project's S3 target at endpoint (the server or a
// proxy in front of it).
func (p *project) retarget(endpoint, bucket string) {
	p.t.Helper()
	p.write("velin.hcl", fmt.Sprintf(s3Plan, endpoint, bucket))
}

// restoreMatches restores the latest snapshot and compares it with data/.
func restoreMatches(t *testing.T, p *project, out string) {
	t.Helper()
	p.must("backup", "restore", "latest", "--to", p.path(out), "--yes")
	if d := diffDigests(treeDigest(t, p.path("data")), treeDigest(t, p.path(out+"/data"))); len(d) > 0 {
		t.Fatalf("restored tree differs:\n%s", strings.Join(d, "\n"))
	}
}

// TestE2ES3BackupThroughFaults backs up and restores through a proxy that
// faults about one request in six (5xx, throttling, resets, cut bodies,
// latency): the backups succeed, and the repository read directly from
// the server verifies with all data read and restores the exact tree.
func TestE2ES3BackupThroughFaults(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	// At least one fault in six whatever the seed: the ~45 requests of the
	// run then certainly hold the 5 faults asked for below (Moderate's one
	// in eight gives 5 only from 36 clean requests on).
	rates := faultproxy.Moderate()
	rates.AtLeastEvery = 6
	proxy := faultproxy.Start(t, srv.Endpoint, faultproxy.Seed(t), rates)
	p := s3Project(t, srv, proxy.URL, bucket)
	randomData(t, p, 60, 300_000)
	p.must("backup", "create")
	randomData(t, p, 20, 300_000)
	p.must("backup", "create")
	restoreMatches(t, p, "through-proxy")
	if proxy.Faulted() < 5 {
		t.Fatalf("too few faults to mean anything: %s", proxy.Summary())
	}
	p.retarget(srv.Endpoint, bucket)
	if n := len(p.snapshots()); n != 2 {
		t.Fatalf("backup list shows %d snapshots, want 2", n)
	}
	p.must("backup", "verify", "all", "--test-restore")
	restoreMatches(t, p, "direct")
}

// TestE2ES3DeadPathLeavesNoSnapshot cuts the path to the server after a
// random number of requests of a backup: the backup fails, no new snapshot
// is visible, the earlier one verifies, and the next backup over a healthy
// path succeeds.
func TestE2ES3DeadPathLeavesNoSnapshot(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	seed := faultproxy.Seed(t)
	rng := mrand.New(mrand.NewPCG(seed, 1))
	p := s3Project(t, srv, srv.Endpoint, bucket)
	randomData(t, p, 40, 200_000)
	full := countedBackup(t, p, srv, bucket, seed)
	for i := 0; i < 3; i++ {
		randomData(t, p, 10, 200_000)
		after := 1 + rng.Int64N(full*3/4) // a like backup needed full requests
		dead := faultproxy.Start(t, srv.Endpoint, seed, faultproxy.Rates{FailAfter: after})
		p.retarget(dead.URL, bucket)
		if r := p.run("backup", "create"); r.code == 0 {
			t.Fatalf("backup over a path dead after %d requests succeeded: %s", after, r)
		}
		p.retarget(srv.Endpoint, bucket)
		if n := len(p.snapshots()); n != 1+i {
			t.Fatalf("after a backup dead after %d of ~%d requests: %d snapshots visible, want %d", after, full, n, 1+i)
		}
		p.must("backup", "verify", "all")
		full = countedBackup(t, p, srv, bucket, seed)
		t.Logf("dead after %d requests: failed cleanly, next backup fine", after)
	}
	restoreMatches(t, p, "restored")
}

// countedBackup runs a healthy backup through a counting proxy and returns
// how many requests it made.
func countedBackup(t *testing.T, p *project, srv s3test.Server, bucket string, seed uint64) int64 {
	t.Helper()
	counter := faultproxy.Start(t, srv.Endpoint, seed, faultproxy.Rates{})
	p.retarget(counter.URL, bucket)
	p.must("backup", "create")
	p.retarget(srv.Endpoint, bucket)
	return counter.Requests()
}

// TestE2ES3Kill9DuringBackup kills backups to S3 with kill -9 once their
// first new pack has landed, at a seeded random delay after it (logged):
// earlier snapshots stay intact, the next backup succeeds, and prune
// deletes the packs of the killed backups whose data is gone from the
// source (each round overwrites the previous round's files, so the packs
// of every killed round but the last are referenced by nothing).
func TestE2ES3Kill9DuringBackup(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	seed := faultproxy.Seed(t)
	t.Logf("kill delays seeded with %d (replay with VELIN_FAULT_SEED=%d)", seed, seed)
	rng := mrand.New(mrand.NewPCG(seed, 2))
	p := s3Project(t, srv, srv.Endpoint, bucket)
	const prefix = "velin/e2e/data/"
	randomData(t, p, 24, 2_000_000)
	p.must("backup", "create")
	const rounds = 3
	orphans := 0 // packs of killed rounds that no snapshot can reference
	for i := range rounds {
		randomData(t, p, 36, 2_000_000) // about 2 packs of new data
		snaps := len(p.snapshots())
		wrote, done := killAfterFirstPack(t, p, srv, bucket, prefix, time.Duration(rng.Int64N(int64(300*time.Millisecond))))
		if r := p.run("backup", "verify", "all"); r.code != 0 {
			t.Fatalf("round %d: after the kill, verify failed: %s", i, r)
		}
		if got := len(p.snapshots()); got != snaps && !done {
			t.Fatalf("round %d: a killed backup left a snapshot (%d -> %d)", i, snaps, got)
		}
		t.Logf("round %d: %d packs landed before the kill (backup finished first: %v)", i, wrote, done)
		if !done && i < rounds-1 {
			orphans += wrote
		}
	}
	before := len(p.snapshots())
	p.must("backup", "create")
	if after := len(p.snapshots()); after != before+1 {
		t.Fatalf("backup after kills: %d -> %d snapshots", before, after)
	}
	var pr pruneJSON
	decodeJSON(t, p.must("backup", "prune", "--yes", "--json"), &pr)
	rec := pr.Targets[0].Reclaimed
	t.Logf("prune deleted %d indexed and %d unindexed packs", rec.PacksDeleted, rec.OrphansDeleted)
	if deleted := rec.PacksDeleted + rec.OrphansDeleted; deleted < orphans {
		t.Errorf("prune deleted %d packs, want at least the %d that killed backups left unreferenced", deleted, orphans)
	}
	decodeJSON(t, p.must("backup", "prune", "--dry-run", "--json"), &pr)
	if left := pr.Targets[0].Reclaimed; left.PacksDeleted != 0 || left.OrphansDeleted != 0 || left.PacksMarked != 0 {
		t.Errorf("after prune, a dry run still finds unreferenced packs: %+v", left)
	}
	p.must("backup", "verify", "all")
	restoreMatches(t, p, "restored")
}

// killAfterFirstPack starts `velin backup create`, waits until a new object
// lands under prefix, waits delay more, and kills it -9. It returns how many
// objects the backup added, and whether it ended by itself first.
func killAfterFirstPack(t *testing.T, p *project, srv s3test.Server, bucket, prefix string, delay time.Duration) (int, bool) {
	t.Helper()
	base := countObjects(t, srv, bucket, prefix)
	cmd := exec.Command(velinBin, "backup", "create")
	cmd.Dir, cmd.Env = p.dir, p.env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(2 * time.Minute)
	for countObjects(t, srv, bucket, prefix) == base && time.Now().Before(deadline) {
		select {
		case <-exited:
			return countObjects(t, srv, bucket, prefix) - base, true
		case <-time.After(20 * time.Millisecond):
		}
	}
	time.Sleep(delay)
	cmd.Process.Kill()
	<-exited
	done := cmd.ProcessState.Success()
	return countObjects(t, srv, bucket, prefix) - base, done
}

// countObjects counts a bucket's objects under prefix.
func countObjects(t *testing.T, srv s3test.Server, bucket, prefix string) int {
	t.Helper()
	pages := awss3.NewListObjectsV2Paginator(srv.Client(), &awss3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	n := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list %s/%s: %v", bucket, prefix, err)
		}
		n += len(page.Contents)
	}
	return n
}
