package bucket

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// awkwardKeys are keys that must survive a backup and a restore, each with
// a short content ("" for a zero-byte object).
var awkwardKeys = map[string]string{
	"with space.txt":       "space",
	"ünïcödé/文件 😀.txt":     "unicode",
	"a+b=c&d.txt":          "plus",
	"100%.txt":             "percent",
	"%41%2E%-%~":           "escapes",
	"double//slash":        "double",
	"trailing/":            "",
	"../escape":            "dotdot",
	"x/../../escape2":      "inner dotdot",
	"zero-byte":            "",
	"dir/obj":              "object",
	"./dot":                "dot",
	"emptydir/":            "",
	"emptydir/inside.txt":  "inside",
	"nested/deep/deeper/x": "deep",
}

// TestAwkwardKeysRoundTrip backs up a bucket holding every awkward key,
// empties it, restores it in place and compares each object; it restores
// to a directory too, where every file lies inside and decodes to its key.
func TestAwkwardKeysRoundTrip(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	b := f.buckets[0]
	var refused []string
	for k, v := range awkwardKeys {
		_, err := f.c.PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(k),
			Body: strings.NewReader(v), ContentType: aws.String("text/x-velin"), Metadata: map[string]string{"k": "v"}})
		if err != nil {
			// MinIO refuses keys with "." or ".." parts and "//" (AWS
			// takes them), and cannot hold "a/b" next to "a/b/c":
			// TestKeyPaths, TestResolverFindsPrefixes and
			// TestServerRefusedKeysToDir cover those.
			refused = append(refused, k)
			t.Logf("the server refuses key %q: %v", k, err)
		}
	}
	want := f.captureBuckets(t)
	if len(want)+len(refused) != len(awkwardKeys) || len(refused) > 4 {
		t.Fatalf("the server holds %d of the %d keys (%v) and refused %q", len(want), len(awkwardKeys), want, refused)
	}
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := f.src.Backup(ctx, snap, provider.BackupOptions{}); err != nil {
		t.Fatalf("backup: %v", err)
	}
	tree := snap.Finish()
	if err := f.srv.RemoveBucket(b); err != nil {
		t.Fatal(err)
	}
	if err := f.src.Restore(ctx, tree, provider.RestoreOptions{}); err != nil {
		t.Fatalf("restore: %v", err)
	}
	compareObjects(t, f.captureBuckets(t), want, false)

	base := t.TempDir()
	dir := filepath.Join(base, "to")
	if err := f.src.Restore(ctx, tree, provider.RestoreOptions{To: dir}); err != nil {
		t.Fatalf("restore to a directory: %v", err)
	}
	compareObjects(t, captureDir(t, dir), want, true)
	if extra := sourcetest.ListOutside(t, base, dir); len(extra) != 0 {
		t.Errorf("restore wrote outside its directory: %v", extra)
	}
	if _, err := os.Stat(filepath.Join(base, "escape")); err == nil {
		t.Error("../escape was written outside the directory")
	}
	out, err := f.c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(b), Key: aws.String("zero-byte")})
	if err != nil || aws.ToInt64(out.ContentLength) != 0 {
		t.Errorf("zero-byte object after restore: %v", err)
	}
}

// TestServerRefusedKeysToDir restores a snapshot holding the keys MinIO
// refuses (as AWS would have produced it) to a directory: each lands
// inside it and decodes back to its key.
func TestServerRefusedKeysToDir(t *testing.T) {
	entries := map[string]provider.Entry{}
	content := map[string][]byte{}
	keys := []string{"x/../../escape2", "./dot", "double//slash", "../escape", "a/b", "a/b/c"}
	for _, k := range keys {
		p := encodeKey("bkt", k, k == "a/b")
		entries[p] = provider.Entry{Path: p, Kind: provider.KindFile, Size: int64(len(k)), Mode: 0o644}
		content[p] = []byte(k)
	}
	base := t.TempDir()
	dir := filepath.Join(base, "to")
	if _, err := restoreDir(context.Background(), sourcetest.NewMemTree(entries, content), provider.RestoreOptions{To: dir}); err != nil {
		t.Fatal(err)
	}
	got := captureDir(t, dir)
	for _, k := range keys {
		if c, ok := got["bkt/"+k]; !ok || c.size != int64(len(k)) {
			t.Errorf("key %q not restored as itself: %+v", k, got)
		}
	}
	if extra := sourcetest.ListOutside(t, base, dir); len(extra) != 0 {
		t.Errorf("restore wrote outside its directory: %v", extra)
	}
}
