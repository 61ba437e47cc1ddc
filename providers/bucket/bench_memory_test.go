package bucket

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/velinhq/velin/providers/provider"
)

// BenchmarkPlanMemory measures what planning a restore in mode "replace"
// keeps in memory per object: a bucket of n objects backed up, then n
// more objects not in the snapshot (to delete). It reports the bytes the
// live listing holds per listed object (the map PlanRestore and Restore
// build) and the bytes the returned plan holds per object of it. Keys are
// 38 bytes ("tenant-00042/uploads/2026/file-000123").
func BenchmarkPlanMemory(b *testing.B) {
	const n = 3000
	f := newFixture(b, ModeReplace)
	bucket := f.buckets[0]
	putMany(b, f, bucket, 0, n)
	tree := backupMem(b, f.src)
	putMany(b, f, bucket, n, 2*n)
	ctx := context.Background()
	for b.Loop() {
		before := heapAlloc()
		live, err := f.src.live(ctx, bucket, bucket)
		if err != nil || len(live) != 2*n {
			b.Fatalf("live: %d objects, %v", len(live), err)
		}
		b.ReportMetric(float64(heapAlloc()-before)/float64(len(live)), "B/listed-object")
		runtime.KeepAlive(live)
		live = nil

		before = heapAlloc()
		changes, err := f.src.PlanRestore(ctx, tree, provider.RestoreOptions{})
		if err != nil || len(changes) != 2*n+2 { // and a line per bucket
			b.Fatalf("plan: %d changes, %v", len(changes), err)
		}
		b.ReportMetric(float64(heapAlloc()-before)/float64(len(changes)), "B/planned-object")
		runtime.KeepAlive(changes)
	}
}

func putMany(b *testing.B, f *fixture, bucket string, from, to int) {
	var g errgroup.Group
	g.SetLimit(16)
	for i := from; i < to; i++ {
		g.Go(func() error {
			_, err := f.c.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(bucket),
				Key: aws.String(fmt.Sprintf("tenant-%05d/uploads/2026/file-%06d", i%500, i)), Body: bytes.NewReader([]byte{byte(i)})})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
}

// heapAlloc is the bytes of live heap objects after a collection.
func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
