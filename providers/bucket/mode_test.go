package bucket

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	s3storage "github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

func backupMem(t testing.TB, src *Source) *sourcetest.MemTree {
	t.Helper()
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := src.Backup(context.Background(), snap, provider.BackupOptions{}); err != nil {
		t.Fatalf("backup: %v", err)
	}
	return snap.Finish()
}

// TestReplaceAndMerge: after a backup, one object changes, one is added
// and one bucket is deleted. The plan of mode "replace" lists the added
// object as deleted (with its size) and the bucket as created; "replace"
// ends with exactly the snapshot, "merge" keeps the added object.
func TestReplaceAndMerge(t *testing.T) {
	for _, mode := range []string{ModeReplace, ModeMerge} {
		t.Run(mode, func(t *testing.T) {
			f := newFixture(t, mode)
			f.src.opts.Exclude = []string{f.buckets[0] + "/cache/**"}
			f.put(t, f.buckets[0], "cache/x", []byte("excluded: never deleted"))
			f.put(t, f.buckets[0], "keep.txt", []byte("keep"))
			f.put(t, f.buckets[0], "change.txt", []byte("before"))
			f.put(t, f.buckets[1], "other.txt", []byte("other"))
			want := f.captureBuckets(t)
			tree := backupMem(t, f.src)
			f.put(t, f.buckets[0], "change.txt", []byte("after!"))
			f.put(t, f.buckets[0], "added.txt", []byte("12345"))
			if err := f.srv.RemoveBucket(f.buckets[1]); err != nil {
				t.Fatal(err)
			}
			changes, err := f.src.PlanRestore(context.Background(), tree, provider.RestoreOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]provider.Change{}
			for _, c := range changes {
				got[c.Action+" "+c.What] = c
			}
			b0, b1 := f.buckets[0], f.buckets[1]
			for _, k := range []string{"unchanged " + b0 + "/keep.txt", "replace " + b0 + "/change.txt",
				"create bucket " + b1, "create " + b1 + "/other.txt", "replace bucket " + b0} {
				if _, ok := got[k]; !ok {
					t.Errorf("plan lacks %q: %+v", k, changes)
				}
			}
			del, deleted := got["delete "+f.buckets[0]+"/added.txt"]
			if deleted != (mode == ModeReplace) || (deleted && del.Current != "5 B") {
				t.Errorf("mode %s: plan deletes added.txt %v (%+v)", mode, deleted, del)
			}
			if s := got["replace bucket "+b0].Detail; mode == ModeReplace && !strings.Contains(s, "1 deleted (5 B)") {
				t.Errorf("bucket summary %q does not count the deletion", s)
			}
			if err := f.src.Restore(context.Background(), tree, provider.RestoreOptions{}); err != nil {
				t.Fatalf("restore: %v", err)
			}
			now := f.captureBuckets(t)
			if mode == ModeMerge {
				want[b0+"/added.txt"] = now[b0+"/added.txt"]
			}
			if _, ok := got["delete "+b0+"/cache/x"]; ok {
				t.Error("the plan deletes an excluded object")
			}
			compareObjects(t, now, want, false)
		})
	}
}

// TestFailedRestoreSays: a restore whose snapshot content fails says which
// buckets were restored, partly restored and untouched, and deletes
// nothing from the bucket it failed in.
func TestFailedRestoreSays(t *testing.T) {
	f := newFixture(t, "")
	ok, bad := f.buckets[0], f.buckets[1]
	if bad < ok { // buckets are restored in name order: the second fails
		ok, bad = bad, ok
	}
	f.put(t, ok, "a.txt", []byte("aaaa"))
	f.put(t, bad, "b.txt", []byte("bbbb"))
	tree := backupMem(t, f.src)
	f.put(t, ok, "a.txt", []byte("changed"))
	f.put(t, bad, "extra.txt", []byte("x"))
	f.put(t, bad, "b.txt", []byte("changed"))
	err := f.src.Restore(context.Background(), failOn{tree, bad}, provider.RestoreOptions{})
	if err == nil {
		t.Fatal("restore with failing content succeeded")
	}
	msg := err.Error()
	for _, want := range []string{"bucket " + ok + " restored (1 objects)", "bucket " + bad + " partly restored: 0 of 1"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if _, err := f.c.HeadObject(context.Background(), &awss3.HeadObjectInput{Bucket: aws.String(bad), Key: aws.String("extra.txt")}); err != nil {
		t.Errorf("a failed restore deleted from the bucket it failed in: %v", err)
	}
}

// failOn fails the content of the objects of one bucket.
type failOn struct {
	provider.Tree
	bucket string
}

func (f failOn) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	if topName(e.Path) == f.bucket {
		return nil, errors.New("injected: content lost")
	}
	return f.Tree.Open(ctx, e)
}

// TestInspectErrors: a missing bucket, wrong credentials and an
// unreachable endpoint are errors naming the source and the fix.
func TestInspectErrors(t *testing.T) {
	srv, b := s3test.Bucket(t)
	cases := []struct {
		name string
		o    Options
		want error
		fix  string
	}{
		{"NoBucket", Options{Buckets: []string{b + "-missing"}}, s3storage.ErrNoBucket, "create bucket"},
		{"WrongKey", Options{Buckets: []string{b}, SecretKey: "wrong-secret"}, s3storage.ErrAccessDenied, "check access_key and secret_key"},
		{"Unreachable", Options{Buckets: []string{b}, Endpoint: "http://127.0.0.1:1"}, s3storage.ErrUnreachable, "check endpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			if o.Endpoint == "" {
				o.Endpoint = srv.Endpoint
			}
			o.AccessKey = srv.AccessKey
			if o.SecretKey == "" {
				o.SecretKey = srv.SecretKey
			}
			o.PathStyle = true
			src, err := New(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			_, err = src.Inspect(context.Background())
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.fix) || !strings.Contains(err.Error(), "s3 source s3:") {
				t.Errorf("inspect: %v; want %v naming the source and %q", err, c.want, c.fix)
			}
			for _, secret := range []string{srv.SecretKey, "wrong-secret"} {
				if err != nil && strings.Contains(err.Error(), secret) {
					t.Errorf("error shows a secret: %v", err)
				}
			}
		})
	}
	src, _ := New(context.Background(), Options{Endpoint: srv.Endpoint, PathStyle: true, AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey, Buckets: []string{b}})
	f := &fixture{srv: srv, c: srv.Client(), buckets: []string{b}, src: src}
	f.put(t, b, "one", []byte("12345"))
	facts, err := src.Inspect(context.Background())
	if err != nil || facts.Files != 1 || facts.Bytes != 5 || facts.Details["bucket "+b] != "1 objects, 5 bytes" {
		t.Errorf("inspect: %+v, %v", facts, err)
	}
}
