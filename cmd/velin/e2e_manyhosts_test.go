package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/velinhq/velin/engine/storage/s3/s3test"
)

// host is one machine backing up into the shared repository: its own
// project directory and tree, and its own VELIN_HOST.
type host struct {
	*project
	name string
}

// manyHosts makes n hosts on one MinIO repository; every lock they take
// has a lease of 3 s.
func manyHosts(t *testing.T, srv s3test.Server, bucket string, names ...string) []host {
	var out []host
	for _, n := range names {
		p := s3Project(t, srv, srv.Endpoint, bucket)
		p.env = append(p.env, "VELIN_HOST="+n, "VELIN_LOCK_LEASE=3s")
		out = append(out, host{p, n})
	}
	return out
}

// objects lists the keys and total size under prefix in the repository.
func objects(t *testing.T, srv s3test.Server, bucket, prefix string) ([]string, int64) {
	t.Helper()
	var keys []string
	var size int64
	pg := awss3.NewListObjectsV2Paginator(srv.Client(), &awss3.ListObjectsV2Input{
		Bucket: aws.String(bucket), Prefix: aws.String("velin/e2e/" + prefix)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list %s: %v", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
			size += aws.ToInt64(o.Size)
		}
	}
	return keys, size
}

// lockHosts reads the host of every lock object in the repository.
func lockHosts(t *testing.T, srv s3test.Server, bucket string) []string {
	t.Helper()
	keys, _ := objects(t, srv, bucket, "locks/")
	var hosts []string
	for _, k := range keys {
		out, err := srv.Client().GetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		if err != nil {
			continue // released meanwhile
		}
		var l struct{ Host string }
		err = json.NewDecoder(out.Body).Decode(&l)
		out.Body.Close()
		if err == nil {
			hosts = append(hosts, l.Host)
		}
	}
	return hosts
}

// start runs velin in the background.
func (h host) start(args ...string) (*exec.Cmd, *bytes.Buffer) {
	h.t.Helper()
	c := exec.Command(velinBin, args...)
	c.Dir, c.Env = h.dir, h.env
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		h.t.Fatal(err)
	}
	return c, &out
}

// randomFile writes size incompressible bytes.
func (h host) randomFile(rel string, size int) {
	h.t.Helper()
	b := make([]byte, size)
	_, _ = rand.Read(b)
	h.write(rel, string(b))
}

// TestE2EManyHostsOneRepository: three hosts back up different trees into
// one S3 repository at once; one is killed with SIGKILL mid-backup; then a
// prune (no margin, no grace: the locks alone protect the running backup)
// runs beside another host's backup. The killed host's lock is removed by
// a locker only once its 3 s lease has lapsed, not by its (dead) pid,
// which means nothing for another host; afterwards the repository checks
// with all data read, no lock is left, and every snapshot restores byte
// for byte.
func TestE2EManyHostsOneRepository(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	hs := manyHosts(t, srv, bucket, "host-a", "host-b", "host-c")
	a, b, c := hs[0], hs[1], hs[2]
	for i, h := range hs {
		for j := range 20 {
			h.write(fmt.Sprintf("data/%s/f%02d.txt", h.name, j), strings.Repeat(fmt.Sprintf("%s %d %d\n", h.name, i, j), 400))
		}
	}
	c.randomFile("data/big.bin", 160<<20)  // long enough to be killed mid-way (48 MiB could finish between two polls)
	want := map[string]map[string]string{} // snapshot id → its host's tree
	a.must("backup", "create")             // creates the repository
	recordNew(t, hs, want)
	_, before := objects(t, srv, bucket, "data/")

	// host-c goes through a gate that holds its requests once 96 MiB went
	// through: its backup (160 MiB) cannot end before the kill, however
	// slow the polls below are on a loaded machine.
	c.retarget(holdAfter(t, srv.Endpoint, 96<<20), bucket)
	killed, killedOut := c.start("backup", "create")
	ra, rb := make(chan result, 1), make(chan result, 1)
	go func() { ra <- a.run("backup", "create") }()
	go func() { rb <- b.run("backup", "create") }()
	// Kill host-c once it holds its lock and has stored part of its file.
	waitUntil(t, "host-c storing its file", func() bool {
		_, size := objects(t, srv, bucket, "data/")
		return size > before+16<<20 && contains(lockHosts(t, srv, bucket), "host-c")
	})
	_ = killed.Process.Signal(syscall.SIGKILL)
	if err := killed.Wait(); err == nil {
		t.Fatalf("host-c finished its backup before it was killed:\n%s", killedOut)
	}
	c.retarget(srv.Endpoint, bucket)
	for _, r := range []result{<-ra, <-rb} {
		if r.code != 0 {
			t.Fatalf("a backup beside the others: %s", r)
		}
	}
	recordNew(t, hs, want)
	if !contains(lockHosts(t, srv, bucket), "host-c") {
		t.Fatal("the killed host left no lock: the test did not kill it mid-backup")
	}

	// A prune beside a backup: both finish; the killed host's lock is
	// removed once its lease has lapsed.
	b.write("data/host-b/changed.txt", "second backup of host-b")
	prune, pruneOut := a.start("backup", "prune", "--yes", "--lock-timeout", "60s")
	rb2 := b.must("backup", "create", "--lock-timeout", "60s")
	if err := prune.Wait(); err != nil {
		t.Fatalf("prune beside a backup: %v\n%s", err, pruneOut)
	}
	removed := pruneOut.String() + rb2.stderr
	if !strings.Contains(removed, "removing stale lock") || !strings.Contains(removed, "of host-c") ||
		!strings.Contains(removed, "its lease is 3s") {
		t.Fatalf("the killed host's lock was not removed after its lease:\nprune: %s\nbackup: %s", pruneOut, rb2.stderr)
	}
	if strings.Contains(removed, "process is gone") {
		t.Fatalf("another host's lock was judged by its pid:\n%s", removed)
	}
	recordNew(t, hs, want)
	if locks := lockHosts(t, srv, bucket); len(locks) != 0 {
		t.Fatalf("locks left behind: %v", locks)
	}
	c.must("backup", "check", "--read-data")
	restoreAll(t, c, want)
}

// recordNew notes the tree of every snapshot that is new since the last
// call: its host's tree as it is now.
func recordNew(t *testing.T, hs []host, want map[string]map[string]string) {
	t.Helper()
	r := hs[0].must("backup", "list", "--json")
	var snaps []struct {
		ID   string `json:"ID"`
		Host string `json:"host"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &snaps); err != nil {
		t.Fatalf("backup list --json: %v\n%s", err, r.stdout)
	}
	for _, s := range snaps {
		if _, ok := want[s.ID]; ok {
			continue
		}
		for _, h := range hs {
			if h.name == s.Host {
				want[s.ID] = treeDigest(t, h.path("data"))
			}
		}
		if want[s.ID] == nil {
			t.Fatalf("snapshot %s of unexpected host %q", s.ID, s.Host)
		}
	}
}

// restoreAll restores every snapshot and compares it with its host's tree.
func restoreAll(t *testing.T, p host, want map[string]map[string]string) {
	t.Helper()
	if len(want) != 4 {
		t.Fatalf("%d snapshots, want 4 (host-a twice, host-b twice)", len(want))
	}
	for id, tree := range want {
		out := p.path("restore-" + id)
		p.must("backup", "restore", id, "--to", out, "--yes")
		if diff := diffDigests(tree, findData(t, out)); len(diff) != 0 {
			t.Errorf("snapshot %s restores differently: %v", id, diff)
		}
	}
}

// findData is the digest of the first directory named data under root.
func findData(t *testing.T, root string) map[string]string {
	t.Helper()
	var got map[string]string
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "data" && got == nil {
			got = treeDigest(t, path)
		}
		return err
	})
	return got
}

// holdAfter starts a proxy to target that forwards requests until more
// than limit bytes of request bodies went through, then holds every new
// request until the test ends (answering 503 then).
func holdAfter(t *testing.T, target string, limit int64) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	var sent atomic.Int64
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sent.Load() > limit {
			select {
			case <-hold:
			case <-r.Context().Done():
			}
			http.Error(w, "held by the test", http.StatusServiceUnavailable)
			return
		}
		r.Body = countingBody{r.Body, &sent}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { close(hold); srv.Close() })
	return srv.URL
}

// countingBody adds what is read from a request body to n.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	b.n.Add(int64(k))
	return k, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// waitUntil polls cond until it holds, failing after 60 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened", what)
		}
	}
}
