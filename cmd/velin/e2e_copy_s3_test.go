package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/storage/s3/s3test"
)

const copyS3Plan = `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
target "s3" "offsite" {
  endpoint   = %q
  bucket     = %q
  prefix     = "velin/copy"
  access_key = env("S3_ACCESS_KEY")
  secret_key = env("S3_SECRET_KEY")
  passphrase = env("OFFSITE_PASSPHRASE")
}
source "files" "data" {
  paths = ["./data"]
}
backup "b" {
  sources  = [source.files.data]
  target   = target.local.disk
  copy_to  = [target.s3.offsite]
}
`

// TestE2ECopyToS3: copy_to an S3 target (MinIO) with its own passphrase:
// the second copy sends only what changed; a snapshot deleted locally
// comes back with download and restores as it was.
func TestE2ECopyToS3(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	p := newProject(t, fmt.Sprintf(copyS3Plan, srv.Endpoint, bucket))
	p.env = append(p.env, "S3_ACCESS_KEY="+srv.AccessKey, "S3_SECRET_KEY="+srv.SecretKey,
		"OFFSITE_PASSPHRASE="+offsitePassphrase)
	randomData(t, p, 20, 200_000)
	p.must("backup", "create")
	first := p.snapshots()[0].ID
	firstData := treeDigest(t, p.path("data"))
	p.write("data/new.txt", "second")
	r := p.must("backup", "create", "--json")
	if !strings.Contains(r.stdout, `"type":"copy"`) || !strings.Contains(r.stdout, " present") {
		t.Fatalf("second run's copy event:\n%s", r)
	}
	for id, targets := range p.targetsByID() {
		if !slices.Equal(targets, []string{"local.disk", "s3.offsite"}) {
			t.Fatalf("%s is on %v, want both targets", id, targets)
		}
	}
	p.must("backup", "delete", first, "--target", "local.disk", "--yes")
	r = p.must("backup", "download", first, "--from", "s3.offsite", "--json")
	if !strings.Contains(r.stdout, `"to": "local.disk"`) || !strings.Contains(r.stdout, `"rechunked": false`) {
		t.Fatalf("download: %s", r)
	}
	p.must("backup", "restore", first, "--target", "local.disk", "--to", p.path("restored"), "--yes")
	if d := diffDigests(firstData, treeDigest(t, p.path("restored/data"))); len(d) > 0 {
		t.Fatalf("downloaded snapshot restores differently:\n%s", strings.Join(d, "\n"))
	}
	if strings.Contains(r.stdout+r.stderr, srv.SecretKey) || strings.Contains(r.stdout+r.stderr, offsitePassphrase) {
		t.Fatal("output shows a secret")
	}
}
