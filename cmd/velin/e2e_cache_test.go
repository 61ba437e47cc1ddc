package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/velinhq/velin/engine/storage/counting"
	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/engine/workspace"
)

// requests runs velin with VELIN_STATS_FILE set and returns the requests
// it made to target.s3.offsite.
func (p *project) requests(args ...string) counting.Counts {
	p.t.Helper()
	file := filepath.Join(p.t.TempDir(), "stats.json")
	env := p.env
	p.env = append(append([]string(nil), env...), "VELIN_STATS_FILE="+file)
	defer func() { p.env = env }()
	p.must(args...)
	data, err := os.ReadFile(file)
	if err != nil {
		p.t.Fatalf("velin %v wrote no stats file: %v", args, err)
	}
	var st workspace.Stats
	if err := json.Unmarshal(data, &st); err != nil {
		p.t.Fatalf("stats file of velin %v: %v\n%s", args, err, data)
	}
	c, ok := st.Requests["target.s3.offsite"]
	if !ok || st.Total != c {
		p.t.Fatalf("stats file of velin %v has no requests of target.s3.offsite, or others: %s", args, data)
	}
	return c
}

// TestE2EStatsFile: VELIN_STATS_FILE receives the requests of a command;
// a listing lists and reads, a backup writes.
func TestE2EStatsFile(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	p := s3Project(t, srv, srv.Endpoint, bucket)
	p.write("data/a.txt", "hello")
	backup := p.requests("backup", "create")
	if backup.Put == 0 || backup.List == 0 {
		t.Errorf("backup create made %+v, want puts and lists", backup)
	}
	list := p.requests("backup", "list")
	if list.List == 0 || list.Put != 0 || list.Delete != 0 {
		t.Errorf("backup list made %+v, want lists and no writes", list)
	}
}

// cacheDir is the project's VELIN_CACHE_DIR.
func (p *project) cacheDir() string {
	for _, kv := range p.env {
		if v, ok := strings.CutPrefix(kv, "VELIN_CACHE_DIR="); ok {
			return v
		}
	}
	p.t.Fatal("no VELIN_CACHE_DIR")
	return ""
}

// cached lists the cache's entries of kind ("index", "snapshots",
// "trees") by file path.
func (p *project) cached(kind string) []string {
	p.t.Helper()
	var out []string
	dirs, _ := filepath.Glob(filepath.Join(p.cacheDir(), "repos", "*", kind))
	for _, d := range dirs {
		filepath.WalkDir(d, func(path string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				out = append(out, path)
			}
			return err
		})
	}
	return out
}

// restoredDigest restores the latest snapshot into a fresh directory and
// returns the digest of its data tree.
func (p *project) restoredDigest() map[string]string {
	p.t.Helper()
	out := filepath.Join(p.t.TempDir(), "out")
	p.must("backup", "restore", "latest", "--to", out, "--yes")
	var got map[string]string
	filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "data" && got == nil {
			got = treeDigest(p.t, path)
		}
		return err
	})
	return got
}

// flipCached flips a byte in the middle of every cache entry of kind and
// returns the damaged contents by path.
func (p *project) flipCached(kind string) map[string]string {
	p.t.Helper()
	out := map[string]string{}
	for _, path := range p.cached(kind) {
		data, err := os.ReadFile(path)
		if err != nil {
			p.t.Fatal(err)
		}
		data[len(data)-len(data)/3-1] ^= 0x40
		if err := os.WriteFile(path, data, 0o600); err != nil {
			p.t.Fatal(err)
		}
		out[path] = string(data)
	}
	if len(out) == 0 {
		p.t.Fatalf("no cache entries of %s to damage", kind)
	}
	return out
}

// stillDamaged lists the entries of damaged that hold the same bytes.
func stillDamaged(damaged map[string]string) []string {
	var out []string
	for path, bad := range damaged {
		if data, err := os.ReadFile(path); err == nil && string(data) == bad {
			out = append(out, path)
		}
	}
	return out
}

// fixed is what every run gets from the repository whatever the cache
// holds: config and the key file.
const fixedGets = 2

// TestE2ECache: with the local cache a second listing reads no index file
// nor manifest, an unchanged backup reads no tree; damaged entries are
// refetched and repaired; forget and prune drop what they removed; a
// deleted cache only costs requests.
func TestE2ECache(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	p := s3Project(t, srv, srv.Endpoint, bucket)
	for i := range 20 {
		p.write(fmt.Sprintf("data/d%d/f.txt", i), fmt.Sprint("hello ", i))
	}
	p.write("data/old/gone.bin", strings.Repeat("only in the first snapshot ", 5000))
	p.must("backup", "create")
	os.RemoveAll(p.path("data/old"))
	p.must("backup", "create")

	unchanged := p.requests("backup", "create")
	if unchanged.GetRange != 0 {
		t.Errorf("unchanged backup with a cache made %d range reads, want 0 (trees from the cache)", unchanged.GetRange)
	}
	if nc := p.requests("backup", "create", "--no-cache"); nc.GetRange == 0 {
		t.Errorf("unchanged backup with --no-cache made no range reads: the test cannot tell the cache works")
	}
	p.must("backup", "list")
	if list := p.requests("backup", "list"); list.Get != fixedGets || list.List == 0 {
		t.Errorf("second backup list made %+v, want %d gets (config, key) and listings", list, fixedGets)
	}
	want := treeDigest(t, p.path("data"))

	t.Run("damaged entries are refetched", func(t *testing.T) {
		damaged := p.flipCached("index")
		for k, v := range p.flipCached("snapshots") {
			damaged[k] = v
		}
		for k, v := range p.flipCached("trees") {
			damaged[k] = v
		}
		if list := p.requests("backup", "list"); list.Get <= fixedGets {
			t.Errorf("backup list over a damaged cache made %+v: fetched nothing", list)
		}
		if diff := diffDigests(want, p.restoredDigest()); len(diff) != 0 {
			t.Errorf("restore over a damaged cache differs: %v", diff)
		}
		// the first snapshot's trees too
		p.must("backup", "restore", p.snapshots()[0].ID, "--to", filepath.Join(t.TempDir(), "first"), "--yes")
		if bad := stillDamaged(damaged); len(bad) != 0 {
			t.Errorf("entries still damaged after a listing and a restore: %v", bad)
		}
		if list := p.requests("backup", "list"); list.Get != fixedGets {
			t.Errorf("backup list after the repair made %+v, want %d gets", list, fixedGets)
		}
	})

	t.Run("forget and prune drop entries", func(t *testing.T) {
		snaps := p.snapshots()
		treesBefore := len(p.cached("trees"))
		p.must("backup", "delete", snaps[0].ID, "--yes")
		p.must("backup", "prune")
		// another host forgets a snapshot: only the listing tells
		_, err := srv.Client().DeleteObject(context.Background(), &awss3.DeleteObjectInput{
			Bucket: aws.String(bucket), Key: aws.String("velin/e2e/snapshots/" + snaps[1].ID)})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.snapshots(); len(got) != len(snaps)-2 {
			t.Errorf("backup list shows %d snapshots, want %d", len(got), len(snaps)-2)
		}
		if got := len(p.cached("snapshots")); got != len(snaps)-2 {
			t.Errorf("cache holds %d manifests, want %d", got, len(snaps)-2)
		}
		for _, path := range p.cached("snapshots") {
			if id := filepath.Base(path); id == snaps[0].ID || id == snaps[1].ID {
				t.Errorf("cache still holds the forgotten snapshot %s", id)
			}
		}
		if n := len(p.cached("trees")); n >= treesBefore {
			t.Errorf("cache holds %d trees after the prune, %d before: the pruned root tree stayed", n, treesBefore)
		}
		if diff := diffDigests(want, p.restoredDigest()); len(diff) != 0 {
			t.Errorf("restore after prune differs: %v", diff)
		}
	})

	t.Run("deleted cache", func(t *testing.T) {
		if err := os.RemoveAll(p.cacheDir()); err != nil {
			t.Fatal(err)
		}
		if list := p.requests("backup", "list"); list.Get <= fixedGets {
			t.Errorf("backup list without a cache made %+v: read no manifest", list)
		}
		if len(p.cached("snapshots")) == 0 {
			t.Error("backup list did not fill the deleted cache again")
		}
	})
}
