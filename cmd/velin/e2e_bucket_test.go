package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/velinhq/velin/engine/storage/s3/s3test"
)

// bucketPlan backs up two buckets and a directory to a repository on the
// same MinIO.
const bucketPlan = `
target "s3" "offsite" {
  endpoint   = %[1]q
  bucket     = %[2]q
  prefix     = "velin/buckets"
  access_key = env("S3_ACCESS_KEY")
  secret_key = env("S3_SECRET_KEY")
  passphrase = env("VELIN_PASSPHRASE")
}
source "s3" "objects" {
  endpoint   = %[1]q
  buckets    = [%[3]q, %[4]q]
  access_key = env("S3_ACCESS_KEY")
  secret_key = env("S3_SECRET_KEY")
}
source "files" "data" {
  paths = ["./data"]
}
backup "b" {
  sources = [source.s3.objects, source.files.data]
  target  = target.s3.offsite
}
restore "first" {
  from    = backup.b
  sources = [source.s3.objects]
  buckets = [%[3]q]
}
restore "copy" {
  from      = backup.b
  sources   = [source.s3.objects]
  buckets   = [%[4]q]
  to_bucket = %[5]q
}
`

// bucketProject is a project over two fresh buckets (b1, b2) holding a
// few objects, backed up once.
type bucketProject struct {
	*project
	srv    s3test.Server
	b1, b2 string
	b3     string // empty, restore "copy" writes b2 into it
}

func newBucketProject(t *testing.T) *bucketProject {
	srv, repoBucket := s3test.Bucket(t)
	_, b1 := s3test.Bucket(t)
	_, b2 := s3test.Bucket(t)
	_, b3 := s3test.Bucket(t)
	p := newProject(t, fmt.Sprintf(bucketPlan, srv.Endpoint, repoBucket, b1, b2, b3))
	p.env = append(p.env, "S3_ACCESS_KEY="+srv.AccessKey, "S3_SECRET_KEY="+srv.SecretKey)
	bp := &bucketProject{project: p, srv: srv, b1: b1, b2: b2, b3: b3}
	bp.put(b1, "a.txt", "alpha")
	bp.put(b1, "dir/x.txt", "ex")
	bp.put(b1, "dir/y.txt", "why")
	bp.put(b2, "z.txt", "zed")
	bp.put(b2, "keep/k.txt", "kay")
	p.write("data/f.txt", "file v1")
	p.must("backup", "create")
	return bp
}

func (p *bucketProject) put(bucket, key, data string) {
	p.t.Helper()
	_, err := p.srv.Client().PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(bucket),
		Key: aws.String(key), Body: bytes.NewReader([]byte(data))})
	if err != nil {
		p.t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

func (p *bucketProject) del(bucket, key string) {
	p.t.Helper()
	_, err := p.srv.Client().DeleteObject(context.Background(), &awss3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		p.t.Fatalf("delete %s/%s: %v", bucket, key, err)
	}
}

// objects reads a bucket: key → content ("" and no error for a bucket
// that does not exist is reported as nil).
func (p *bucketProject) objects(bucket string) map[string]string {
	p.t.Helper()
	ctx, c := context.Background(), p.srv.Client()
	out := map[string]string{}
	pages := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			p.t.Fatalf("list %s: %v", bucket, err)
		}
		for _, o := range page.Contents {
			r, err := c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
			if err != nil {
				p.t.Fatalf("get %s/%s: %v", bucket, aws.ToString(o.Key), err)
			}
			b, err := io.ReadAll(r.Body)
			r.Body.Close()
			if err != nil {
				p.t.Fatal(err)
			}
			out[aws.ToString(o.Key)] = string(b)
		}
	}
	return out
}

func wantObjects(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var diff []string
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			diff = append(diff, fmt.Sprintf("%s: got %q (present %v), want %q", k, g, ok, v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diff = append(diff, fmt.Sprintf("%s: unexpected, holds %q", k, got[k]))
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Errorf("%s:\n  %s", what, strings.Join(diff, "\n  "))
	}
}

// wantNotListed fails when a change line of a restore plan (the lines of
// what it creates, replaces or deletes, and the source's header) names one
// of needles.
func wantNotListed(t *testing.T, what, plan string, needles ...string) {
	t.Helper()
	for _, line := range strings.Split(plan, "\n") {
		l := strings.TrimSpace(line)
		if !strings.HasPrefix(l, "~ ") && !strings.HasPrefix(l, "- ") && !strings.HasPrefix(l, "+ ") &&
			!strings.HasPrefix(l, "= ") && !strings.Contains(l, " -> ") {
			continue
		}
		for _, n := range needles {
			if strings.Contains(l, n) {
				t.Errorf("%s lists %q:\n%s", what, n, plan)
			}
		}
	}
}

// TestE2EBucketRestoreBucket: --bucket restores only the buckets named,
// whole (mode "replace" deletes what the snapshot lacks), and neither the
// other bucket nor the other source; the plan and the confirmation count
// only what it touches.
func TestE2EBucketRestoreBucket(t *testing.T) {
	p := newBucketProject(t)
	p.put(p.b1, "a.txt", "alpha v2")
	p.put(p.b1, "extra.txt", "not in the snapshot")
	p.del(p.b2, "z.txt")
	p.put(p.b2, "new2.txt", "later")
	p.write("data/f.txt", "file v2")

	dry := p.must("backup", "restore", "latest", "--bucket", p.b1, "--dry-run")
	wantIn(t, "plan", dry.stdout, "s3.objects", p.b1+"/extra.txt", p.b1+"/a.txt", "1 deleted")
	wantNotListed(t, "plan of --bucket "+p.b1, dry.stdout, p.b2+"/", "bucket "+p.b2, "files.data")
	r := p.runInput("no\n", "backup", "restore", "latest", "--bucket", p.b1)
	// a.txt replaced, extra.txt deleted, and the bucket's summary line
	wantIn(t, "confirmation", r.stderr, "overwrite 3 existing item(s)")

	p.must("backup", "restore", "latest", "--bucket", p.b1, "--yes")
	wantObjects(t, "restored "+p.b1, p.objects(p.b1), map[string]string{"a.txt": "alpha", "dir/x.txt": "ex", "dir/y.txt": "why"})
	wantObjects(t, "untouched "+p.b2, p.objects(p.b2), map[string]string{"keep/k.txt": "kay", "new2.txt": "later"})
	if b, _ := os.ReadFile(p.path("data/f.txt")); string(b) != "file v2" {
		t.Errorf("--bucket restored files.data too: data/f.txt holds %q", b)
	}

	r = p.run("backup", "restore", "latest", "--bucket", "nope", "--yes")
	if r.code == 0 {
		t.Fatalf("--bucket nope succeeded: %s", r)
	}
	wantIn(t, "--bucket nope", r.stderr, "--bucket nope", "no such bucket", p.b1, p.b2, "fix --bucket")
	r = p.run("backup", "restore", "latest", "--bucket", p.b1, "--source", "files.data", "--yes")
	if r.code == 0 {
		t.Fatalf("--bucket with --source files.data succeeded: %s", r)
	}
	wantIn(t, "--bucket --source files.data", r.stderr, "files.data is not an s3 source")
}

// TestE2EBucketRestoreInclude: --include matches BUCKET/KEY paths; the
// restore writes only those objects and deletes nothing.
func TestE2EBucketRestoreInclude(t *testing.T) {
	p := newBucketProject(t)
	p.del(p.b1, "dir/x.txt")
	p.put(p.b1, "dir/y.txt", "why v2")
	p.put(p.b1, "dir/extra.txt", "later")
	p.del(p.b2, "z.txt")

	glob := p.b1 + "/dir/x*"
	dry := p.must("backup", "restore", "latest", "--bucket", p.b1, "--include", glob, "--dry-run")
	wantIn(t, "plan", dry.stdout, "1 created, 0 replaced, 0 unchanged, 0 deleted")
	wantNotListed(t, "plan of --include "+glob, dry.stdout, "dir/extra.txt", "dir/y.txt", p.b2+"/", "bucket "+p.b2)
	p.must("backup", "restore", "latest", "--bucket", p.b1, "--include", glob, "--yes")
	wantObjects(t, p.b1+" after --include", p.objects(p.b1),
		map[string]string{"a.txt": "alpha", "dir/x.txt": "ex", "dir/y.txt": "why v2", "dir/extra.txt": "later"})
	wantObjects(t, "untouched "+p.b2, p.objects(p.b2), map[string]string{"keep/k.txt": "kay"})
}

// TestE2EBucketRestoreToBucket: --to-bucket writes one bucket of the
// snapshot into another; with more than one bucket selected it is an
// error that says to add --bucket, and nothing is written.
func TestE2EBucketRestoreToBucket(t *testing.T) {
	p := newBucketProject(t)
	_, other := s3test.Bucket(t)
	p.put(other, "stale.txt", "deleted by mode replace")

	r := p.run("backup", "restore", "latest", "--to-bucket", other, "--yes")
	if r.code == 0 {
		t.Fatalf("--to-bucket with two buckets selected succeeded: %s", r)
	}
	wantIn(t, "--to-bucket without --bucket", r.stdout+r.stderr, "--to-bucket "+other, "selects 2", "add --bucket")
	wantObjects(t, other+" after the refused restore", p.objects(other), map[string]string{"stale.txt": "deleted by mode replace"})

	dry := p.must("backup", "restore", "latest", "--bucket", p.b2, "--to-bucket", other, "--dry-run")
	wantIn(t, "plan", dry.stdout, "-> bucket "+other, "bucket "+other+" (from snapshot bucket "+p.b2+")",
		"2 created", "delete    "+other+"/stale.txt")
	wantNotListed(t, "plan of --to-bucket", dry.stdout, p.b2+"/", p.b1+"/", "bucket "+p.b1)
	p.must("backup", "restore", "latest", "--bucket", p.b2, "--to-bucket", other, "--yes")
	wantObjects(t, other, p.objects(other), map[string]string{"z.txt": "zed", "keep/k.txt": "kay"})
	wantObjects(t, "untouched "+p.b2, p.objects(p.b2), map[string]string{"z.txt": "zed", "keep/k.txt": "kay"})

	r = p.run("backup", "restore", "latest", "--bucket", p.b2, "--to-bucket", other, "--to", p.path("out"))
	if r.code == 0 || !strings.Contains(r.stderr, "two destinations") {
		t.Errorf("--to with --to-bucket: %s", r)
	}
}

// TestE2EBucketRecoverWithoutPlan: a bucket snapshot restores to a
// directory with a plan that has only the target (the source's block is
// gone): the source is rebuilt from the manifest.
func TestE2EBucketRecoverWithoutPlan(t *testing.T) {
	p := newBucketProject(t)
	plan, err := os.ReadFile(p.path("velin.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	targetOnly, _, _ := strings.Cut(string(plan), `source "s3"`)
	p.write("velin.hcl", targetOnly)
	p.must("backup", "restore", "latest", "--to", p.path("out"), "--source", "s3.objects", "--yes")
	wantObjects(t, "restored directory", readTree(t, p.path("out")), map[string]string{p.b1 + "/a.txt": "alpha", p.b1 + "/dir/x.txt": "ex",
		p.b1 + "/dir/y.txt": "why", p.b2 + "/z.txt": "zed", p.b2 + "/keep/k.txt": "kay"})
	p.must("backup", "restore", "latest", "--to", p.path("one"), "--bucket", p.b2, "--yes")
	wantObjects(t, "directory of --bucket "+p.b2, readTree(t, p.path("one")), map[string]string{p.b2 + "/z.txt": "zed", p.b2 + "/keep/k.txt": "kay"})
}

// readTree reads the files under root: slash path → content.
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(root, path)
		got[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestE2EBucketRestoreBlock: buckets and to_bucket of a restore block
// limit velin plan -restore and apply -restore as the flags do; on other
// sources, with bad names or with to they are configuration errors.
func TestE2EBucketRestoreBlock(t *testing.T) {
	p := newBucketProject(t)
	p.put(p.b1, "extra.txt", "not in the snapshot")
	p.put(p.b2, "new2.txt", "later")

	plan := p.must("plan", "-restore", "first")
	wantIn(t, "plan -restore first", plan.stdout, p.b1+"/extra.txt")
	wantNotListed(t, "plan -restore first", plan.stdout, p.b2+"/", "bucket "+p.b2)
	if strings.Contains(plan.stdout, p.b2+"/new2.txt") {
		t.Errorf("plan -restore first lists %s/new2.txt:\n%s", p.b2, plan.stdout)
	}
	p.must("apply", "-restore", "first", "-auto-approve")
	wantObjects(t, "restored "+p.b1, p.objects(p.b1), map[string]string{"a.txt": "alpha", "dir/x.txt": "ex", "dir/y.txt": "why"})
	wantObjects(t, "untouched "+p.b2, p.objects(p.b2), map[string]string{"z.txt": "zed", "keep/k.txt": "kay", "new2.txt": "later"})

	plan = p.must("plan", "-restore", "copy")
	wantIn(t, "plan -restore copy", plan.stdout, "bucket "+p.b3+" (from snapshot bucket "+p.b2+")")
	p.must("apply", "-restore", "copy", "-auto-approve")
	wantObjects(t, p.b3, p.objects(p.b3), map[string]string{"z.txt": "zed", "keep/k.txt": "kay"})

	base, _, _ := strings.Cut(fmt.Sprintf(bucketPlan, p.srv.Endpoint, "x", p.b1, p.b2, p.b3), `restore "first"`)
	for _, c := range []struct{ block, want string }{
		{`restore "r" {
  from    = backup.b
  buckets = ["` + p.b1 + `"]
}`, "buckets applies to s3 sources only"},
		{`restore "r" {
  from    = backup.b
  sources = [source.s3.objects]
  buckets = ["a/b"]
}`, `"a/b" is not a bucket name`},
		{`restore "r" {
  from      = backup.b
  sources   = [source.s3.objects]
  to        = "./out"
  to_bucket = "` + p.b3 + `"
}`, "to and to_bucket are two destinations"},
	} {
		p.write("velin.hcl", base+c.block)
		r := p.run("validate")
		if r.code == 0 || !strings.Contains(r.stdout+r.stderr, c.want) {
			t.Errorf("validate of\n%s\nwant an error %q: %s", c.block, c.want, r)
		}
	}
}
