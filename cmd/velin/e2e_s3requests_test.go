package main

import (
	"testing"

	"github.com/velinhq/velin/engine/storage/counting"
	"github.com/velinhq/velin/engine/storage/s3/s3test"
)

// total is the number of requests in c.
func total(c counting.Counts) int64 {
	return c.List + c.Get + c.GetRange + c.Stat + c.Put + c.Delete
}

// Requests of one backup create over S3 with a warm local cache (issue 9
// §6: no more than restic's). The first backup: the plan's checks find no
// repository (a read of config, one listing of the whole prefix), Init
// stats config again and writes key and config, then config once more
// with IfAbsent (the conditional-write probe: refused); the lock (a put,
// a listing of locks/; index/ and snapshots/ are not listed, the
// repository being new), a pack, an index, the manifest, the lock's
// delete. (The bucket's HEAD, once per command, is not counted here.) An
// unchanged backup: config and key, the listings of keys/, index/ and
// snapshots/ for the plan, the previous run's manifest (not cached when
// written), the lock's put and listings, the new manifest and the lock's
// delete; no probe (remembered) and no stat of the new id.
const (
	firstBackupRequests     = 12
	unchangedBackupRequests = 12
)

// TestE2ES3BackupRequests pins the requests of a first and of an unchanged
// backup to S3: the repository is opened once per command, each prefix
// listed once per lock, the probe's answer remembered.
func TestE2ES3BackupRequests(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	p := s3Project(t, srv, srv.Endpoint, bucket)
	p.write("data/a.txt", "hello")
	p.write("data/b/c.txt", "world")
	if first := p.requests("backup", "create"); total(first) > firstBackupRequests {
		t.Errorf("first backup made %d requests (%+v), want at most %d", total(first), first, firstBackupRequests)
	}
	p.must("backup", "create") // caches the first snapshot's manifest and index
	if c := p.requests("backup", "create"); total(c) > unchangedBackupRequests || c.Stat != 0 {
		t.Errorf("unchanged backup made %d requests (%+v), want at most %d and no stat", total(c), c, unchangedBackupRequests)
	}
}
