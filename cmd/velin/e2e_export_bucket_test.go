package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/velinhq/velin/engine/storage/s3/s3test"
)

// exportBucketPlan backs up a bucket (objects with metadata) and a
// directory to a repository on MinIO; target s3.offsite also reaches the
// bucket where exports are placed by hand.
const exportBucketPlan = `
target "s3" "offsite" {
  endpoint   = %[1]q
  bucket     = %[2]q
  prefix     = "velin"
  access_key = env("S3_ACCESS_KEY")
  secret_key = env("S3_SECRET_KEY")
  passphrase = env("VELIN_PASSPHRASE")
}
source "s3" "objects" {
  endpoint   = %[1]q
  buckets    = [%[3]q]
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
`

// TestE2EExportRestoreFromBucket: an export placed by hand in the folder
// ID/ of a bucket, as its ZIP (in the default bucket "backup", encrypted)
// or unpacked (--from-bucket), is restored with `restore --id ID --target`:
// files, objects and the objects' content type, user metadata and tags.
// A damaged unpacked file restores nothing.
func TestE2EExportRestoreFromBucket(t *testing.T) {
	srv, repoBucket := s3test.Bucket(t)
	_, data := s3test.Bucket(t)
	_, placed := s3test.Bucket(t)
	p := &bucketProject{project: newProject(t, fmt.Sprintf(exportBucketPlan, srv.Endpoint, repoBucket, data)), srv: srv}
	p.env = append(p.env, "S3_ACCESS_KEY="+srv.AccessKey, "S3_SECRET_KEY="+srv.SecretKey, "VELIN_EXPORT_PASSPHRASE="+exportPass)
	c, ctx := srv.Client(), context.Background()
	_, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(data), Key: aws.String("docs/a.json"),
		Body: strings.NewReader(`{"a":1}`), ContentType: aws.String("application/json"),
		Metadata: map[string]string{"owner": "ada"}, Tagging: aws.String("team=blue&tier=1")})
	if err != nil {
		t.Fatal(err)
	}
	p.put(data, "b.bin", strings.Repeat("b", 70000))
	p.write("data/f.txt", "file v1")
	p.must("backup", "create")
	id := p.snapshots()[0].ID
	p.must("backup", "export", id, "--out", "snap.zip")
	p.must("backup", "export", id, "--plain", "--out", "plain.zip")

	placeInBackupBucket(t, srv, id, p.path("snap.zip"))
	unpackInto(t, p, placed, id, p.path("plain.zip"))

	wantObjs := map[string]string{"docs/a.json": `{"a":1}`, "b.bin": strings.Repeat("b", 70000)}
	for _, from := range [][]string{nil, {"--from-bucket", placed}} {
		p.del(data, "docs/a.json")
		p.put(data, "b.bin", "changed")
		p.write("data/f.txt", "file v2")
		args := append([]string{"backup", "restore", "--id", id, "--target", "s3.offsite", "--yes"}, from...)
		r := p.must(args...)
		wantIn(t, "restore --id "+strings.Join(from, " "), r.stdout, "Restore from snapshot "+id, id+"/", "s3.objects", "files.data")
		wantObjects(t, "restored "+data, p.objects(data), wantObjs)
		if b, _ := os.ReadFile(p.path("data/f.txt")); string(b) != "file v1" {
			t.Errorf("restore --id %v: data/f.txt = %q", from, b)
		}
		wantObjectMeta(t, c, data)
	}

	// A damaged file of the unpacked export: a clear error, nothing restored.
	p.put(placed, id+"/files.data/tree.tar", "not a tar")
	p.write("data/f.txt", "file v3")
	r := p.run("backup", "restore", "--id", id, "--target", "s3.offsite", "--from-bucket", placed, "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "damaged") {
		t.Errorf("restore --id of a damaged export: %s", r)
	}
	if b, _ := os.ReadFile(p.path("data/f.txt")); string(b) != "file v3" {
		t.Errorf("a damaged export restored data/f.txt = %q", b)
	}
	if r := p.run("backup", "restore", "--id", "nope", "--target", "s3.offsite", "--yes"); r.code != 1 || !strings.Contains(r.stderr, "no export there") {
		t.Errorf("restore --id nope: %s", r)
	}
}

// wantObjectMeta checks docs/a.json's content type, user metadata, tags.
func wantObjectMeta(t *testing.T, c *awss3.Client, bucket string) {
	t.Helper()
	ctx := context.Background()
	h, err := c.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("docs/a.json")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(h.ContentType) != "application/json" || h.Metadata["owner"] != "ada" {
		t.Errorf("docs/a.json restored with content type %q, metadata %v", aws.ToString(h.ContentType), h.Metadata)
	}
	tg, err := c.GetObjectTagging(ctx, &awss3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String("docs/a.json")})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, x := range tg.TagSet {
		tags[aws.ToString(x.Key)] = aws.ToString(x.Value)
	}
	if tags["team"] != "blue" || tags["tier"] != "1" || len(tags) != 2 {
		t.Errorf("docs/a.json restored with tags %v", tags)
	}
}

// placeInBackupBucket puts the export at backup/ID/NAME.zip (bucket
// "backup" created if missing; the folder removed when t ends).
func placeInBackupBucket(t *testing.T, srv s3test.Server, id, file string) {
	t.Helper()
	c, ctx := srv.Client(), context.Background()
	_, err := c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("backup")})
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	key := id + "/velin-" + id + ".zip"
	if _, err := c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String("backup"), Key: aws.String(key), Body: bytes.NewReader(b)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.DeleteObject(context.Background(), &awss3.DeleteObjectInput{Bucket: aws.String("backup"), Key: aws.String(key)})
	})
}

// unpackInto puts every entry of a plain export under bucket/ID/, as an
// unzip and an upload would.
func unpackInto(t *testing.T, p *bucketProject, bucket, id, file string) {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		p.put(bucket, id+"/"+f.Name, string(b))
	}
}
