package bucket

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/providers/sourcetest"
)

// live is the Fixture.Live of the bucket fixtures: "restore in place".
const liveMark = "s3-live"

// fixture holds two buckets on the test MinIO and a source over them.
type fixture struct {
	srv     s3test.Server
	c       *awss3.Client
	buckets []string
	src     *Source
}

func newFixture(t testing.TB, mode string) *fixture {
	t.Helper()
	srv, b1 := s3test.Bucket(t)
	_, b2 := s3test.Bucket(t)
	src, err := New(context.Background(), Options{Endpoint: srv.Endpoint, PathStyle: true, AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey, Buckets: []string{b1, b2}, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, c: srv.Client(), buckets: []string{b1, b2}, src: src}
}

// put writes an object with a content type, user metadata and tags.
func (f *fixture) put(t testing.TB, bucket, key string, data []byte) {
	t.Helper()
	_, err := f.c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String("application/x-velin"),
		Metadata: map[string]string{"owner": "tenant-7", "note": "é ü"}, Tagging: aws.String("class=gold&team=a+b")})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

// fill writes the fixture's objects; it returns the entry paths of the
// objects Mutate may change.
func (f *fixture) fill(t testing.TB) []string {
	rng := rand.New(rand.NewPCG(7, 9))
	var mutable []string
	for i := range 30 {
		key := fmt.Sprintf("dir%d/sub/f%02d.bin", i%3, i)
		f.put(t, f.buckets[0], key, randBytes(rng, rng.IntN(20000)+1))
		mutable = append(mutable, f.buckets[0]+"/"+key)
	}
	f.put(t, f.buckets[0], "big.bin", randBytes(rng, 3<<20))
	f.put(t, f.buckets[0], "empty", nil)
	f.put(t, f.buckets[1], "with space/ünï+cödé %.txt", randBytes(rng, 100))
	f.put(t, f.buckets[1], "hard/link-like", randBytes(rng, 10))
	return mutable
}

// object is what Capture records of one object.
type capturedObject struct {
	sum  [32]byte
	size int64
	typ  string
	meta string
	tags string
}

func (f *fixture) captureBuckets(t testing.TB) map[string]capturedObject {
	t.Helper()
	ctx := context.Background()
	out := map[string]capturedObject{}
	for _, b := range f.buckets {
		pages := awss3.NewListObjectsV2Paginator(f.c, &awss3.ListObjectsV2Input{Bucket: aws.String(b)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				t.Fatalf("list %s: %v", b, err)
			}
			for _, o := range page.Contents {
				out[b+"/"+aws.ToString(o.Key)] = f.captureObject(t, b, aws.ToString(o.Key))
			}
		}
	}
	return out
}

func (f *fixture) captureObject(t testing.TB, b, key string) capturedObject {
	ctx := context.Background()
	out, err := f.c.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(b), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s/%s: %v", b, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := f.c.GetObjectTagging(ctx, &awss3.GetObjectTaggingInput{Bucket: aws.String(b), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	v := url.Values{}
	for _, tag := range tg.TagSet {
		v.Add(aws.ToString(tag.Key), aws.ToString(tag.Value))
	}
	var meta []string
	for k, val := range out.Metadata {
		meta = append(meta, k+"="+val)
	}
	sort.Strings(meta)
	return capturedObject{sum: sha256.Sum256(data), size: int64(len(data)), typ: aws.ToString(out.ContentType),
		meta: strings.Join(meta, ","), tags: v.Encode()}
}

// captureDir reads a restored directory back as objects (content only).
func captureDir(t testing.TB, dir string) map[string]capturedObject {
	out := map[string]capturedObject{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, key, err := decodePath(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		out[b+"/"+key] = capturedObject{sum: sha256.Sum256(data), size: int64(len(data))}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func compareObjects(t testing.TB, got, want map[string]capturedObject, contentOnly bool) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if contentOnly {
			w.typ, w.meta, w.tags = "", "", ""
		}
		switch {
		case !ok:
			t.Errorf("%s missing", k)
		case g != w:
			t.Errorf("%s differs: got %+v, want %+v", k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s is extra", k)
		}
	}
}

func (f *fixture) sourcetestFixture(t testing.TB) sourcetest.Fixture {
	mutable := f.fill(t)
	return sourcetest.Fixture{
		Source: f.src,
		Live:   liveMark,
		Dest:   func(dir string) (string, string) { return dir, dir },
		Mutate: func(t testing.TB) []string {
			rng := rand.New(rand.NewPCG(1, 2))
			changed := []string{mutable[3], mutable[17]}
			for _, p := range changed {
				b, key, _ := decodePath(p)
				f.put(t, b, key, randBytes(rng, 777))
			}
			b, key, _ := decodePath(mutable[5])
			if _, err := f.c.DeleteObject(context.Background(), &awss3.DeleteObjectInput{Bucket: aws.String(b), Key: aws.String(key)}); err != nil {
				t.Fatal(err)
			}
			return changed
		},
		Capture: func(t testing.TB) func(t testing.TB, at string) {
			want := f.captureBuckets(t)
			return func(t testing.TB, at string) {
				t.Helper()
				if at == liveMark {
					compareObjects(t, f.captureBuckets(t), want, false)
					return
				}
				compareObjects(t, captureDir(t, at), want, true)
			}
		},
	}
}

func TestSourceSuite(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		FileTree: true,
		Setup:    func(t testing.TB) sourcetest.Fixture { return newFixture(t, "").sourcetestFixture(t) },
	})
}
