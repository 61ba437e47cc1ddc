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
	proxy := faultproxy.Start(t, srv.Endpoint, faultproxy.Seed(t), faultproxy.Moderate())
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

// TestE2ES3Kill9DuringBackup kills backups to S3 at random moments (seeded,
// logged): earlier snapshots stay intact, the next backup succeeds and
// prune reclaims what the kills left behind.
func TestE2ES3Kill9DuringBackup(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	seed := faultproxy.Seed(t)
	t.Logf("kill times seeded with %d (replay with VELIN_FAULT_SEED=%d)", seed, seed)
	rng := mrand.New(mrand.NewPCG(seed, 2))
	p := s3Project(t, srv, srv.Endpoint, bucket)
	randomData(t, p, 24, 2_000_000)
	start := time.Now()
	p.must("backup", "create")
	took := time.Since(start) // kills fall within a backup of like size
	packs := countObjects(t, srv, bucket, "velin/e2e/data/")
	t.Logf("first backup: %d packs in %v", packs, took)
	for i := 0; i < 3; i++ {
		randomData(t, p, 36, 2_000_000) // about 2 packs of new data
		cmd := exec.Command(velinBin, "backup", "create")
		cmd.Dir, cmd.Env = p.dir, p.env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wait := took/4 + time.Duration(rng.Int64N(int64(took/2)))
		time.Sleep(wait)
		cmd.Process.Kill()
		cmd.Wait()
		if r := p.run("backup", "verify", "all"); r.code != 0 {
			t.Fatalf("after a kill at %v, verify failed: %s", wait, r)
		}
	}
	before := len(p.snapshots())
	orphans := countObjects(t, srv, bucket, "velin/e2e/data/") - packs
	p.must("backup", "create")
	if after := len(p.snapshots()); after != before+1 {
		t.Fatalf("backup after kills: %d -> %d snapshots", before, after)
	}
	var pr pruneJSON
	decodeJSON(t, p.must("backup", "prune", "--yes", "--json"), &pr)
	deleted := pr.Targets[0].Reclaimed.PacksDeleted
	t.Logf("%d of 3 kills left no snapshot; %d packs written by killed backups; prune deleted %d", 4-before, orphans, deleted)
	decodeJSON(t, p.must("backup", "prune", "--dry-run", "--json"), &pr)
	if left := pr.Targets[0].Reclaimed; left.PacksDeleted != 0 || left.PacksMarked != 0 {
		t.Errorf("after prune, a dry run still finds unreferenced packs: %+v", left)
	}
	p.must("backup", "verify", "all")
	restoreMatches(t, p, "restored")
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
