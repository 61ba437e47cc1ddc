package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/storage/s3/s3test"
)

const s3Plan = `
target "s3" "offsite" {
  endpoint   = %q
  bucket     = %q
  prefix     = "velin/e2e"
  access_key = env("S3_ACCESS_KEY")
  secret_key = env("S3_SECRET_KEY")
  passphrase = env("VELIN_PASSPHRASE")
}
source "files" "data" {
  paths = ["./data"]
}
backup "b" {
  sources = [source.files.data]
  target  = target.s3.offsite
}
`

func s3Project(t *testing.T, srv s3test.Server, endpoint, bucket string) *project {
	p := newProject(t, fmt.Sprintf(s3Plan, endpoint, bucket))
	p.env = append(p.env, "S3_ACCESS_KEY="+srv.AccessKey, "S3_SECRET_KEY="+srv.SecretKey)
	return p
}

// TestE2ES3BackupRestore backs up to MinIO, lists, verifies and restores.
func TestE2ES3BackupRestore(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	p := s3Project(t, srv, srv.Endpoint, bucket)
	p.write("data/a.txt", "hello s3")
	p.write("data/sub/big.bin", strings.Repeat("0123456789abcdef", 1<<16))
	plan := p.must("plan")
	wantIn(t, "plan", plan.stdout, "s3:"+bucket+"/velin/e2e")
	p.must("backup", "create")
	p.write("data/sub/new.txt", "second")
	p.must("backup", "create")
	snaps := p.snapshots()
	if len(snaps) != 2 {
		t.Fatalf("backup list shows %d snapshots, want 2", len(snaps))
	}
	p.must("backup", "verify", "all", "--test-restore")
	p.must("backup", "restore", "latest", "--to", p.path("out"), "--yes")
	src := treeDigest(t, p.path("data"))
	var got map[string]string
	filepath.WalkDir(p.path("out"), func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "data" && got == nil {
			got = treeDigest(t, path)
		}
		return err
	})
	if diff := diffDigests(src, got); len(diff) != 0 {
		t.Errorf("restored tree differs: %v", diff)
	}
	for _, r := range []result{plan} {
		if strings.Contains(r.stdout+r.stderr, srv.SecretKey) {
			t.Error("output shows the secret key")
		}
	}
}

// TestE2ES3PlanErrors: a missing bucket, wrong credentials and an
// unreachable endpoint are each a clear error from velin plan, naming the
// target and the fix.
func TestE2ES3PlanErrors(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	cases := []struct {
		name     string
		endpoint string
		bucket   string
		secret   string
		want     []string
	}{
		{"missing bucket", srv.Endpoint, bucket + "-nope", srv.SecretKey, []string{"bucket does not exist", "create bucket"}},
		{"wrong credentials", srv.Endpoint, bucket, "wrong-secret-key-123", []string{"access denied", "secret_key"}},
		{"unreachable endpoint", "http://127.0.0.1:1", bucket, srv.SecretKey, []string{"endpoint unreachable", "check endpoint"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newProject(t, fmt.Sprintf(s3Plan, c.endpoint, c.bucket))
			p.env = append(p.env, "S3_ACCESS_KEY="+srv.AccessKey, "S3_SECRET_KEY="+c.secret)
			p.write("data/a.txt", "x")
			r := p.run("plan")
			out := r.stdout + r.stderr
			if r.code == 0 {
				t.Fatalf("plan succeeded: %s", r)
			}
			wantIn(t, "plan", out, append(c.want, "s3:"+c.bucket)...)
			if strings.Contains(out, c.secret) {
				t.Errorf("plan output shows the secret key:\n%s", out)
			}
		})
	}
}
