package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"
)

// sizeClass is a range of object sizes, drawn log-uniformly, and the share
// of the objects (per mille) that fall in it.
type sizeClass struct {
	name     string
	min, max int64
	permille int
}

// classes is the object mix of the bucket benchmark: 90% of 1 KiB-64 KiB,
// 9% of 64 KiB-1 MiB, 0.9% of 1-8 MiB and 0.1% of 8 MiB-20 MB.
func classes() [nClasses]sizeClass {
	return [nClasses]sizeClass{
		{"small", 1 << 10, 64 << 10, 900},
		{"medium", 64 << 10, 1 << 20, 90},
		{"large", 1 << 20, 8 << 20, 9},
		{"huge", 8 << 20, 20_000_000, 1},
	}
}

const nClasses = 4

// spec is what object i of a fill holds.
type spec struct {
	bucket, key, contentType string
	size                     int64
	class                    int
	text                     bool // compressible words; else random bytes
}

// objectSpec derives object i from the seed alone: its class from i (so the
// shares are exact for a multiple of 1,000 objects), its size, its kind
// (text or random, even odds) and its bucket.
func objectSpec(seed uint64, i int, buckets []string) spec {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	mix := classes()
	slot, class := i%1000, 0
	for acc := mix[0].permille; slot >= acc; acc += mix[class].permille {
		class++
	}
	c := mix[class]
	size := int64(float64(c.min) * math.Pow(float64(c.max)/float64(c.min), r.Float64()))
	s := spec{bucket: buckets[r.IntN(len(buckets))], size: size, class: class, text: r.IntN(2) == 0}
	ext, ctype := "bin", "application/octet-stream"
	if s.text {
		ext, ctype = "txt", "text/plain"
	}
	s.key = fmt.Sprintf("%s/d%02d/obj-%05d.%s", c.name, i%50, i, ext)
	s.contentType = ctype
	return s
}

// content returns the bytes of object i.
func content(seed uint64, i int, s spec) []byte {
	src := rand.NewChaCha8(chachaSeed(seed, i))
	if !s.text {
		buf := make([]byte, s.size)
		src.Read(buf) //nolint:errcheck // ChaCha8.Read never fails
		return buf
	}
	r := rand.New(src)
	words := [...]string{"velin", "bucket", "object", "backup", "restore", "minio", "the", "of", "and", "upload",
		"template", "user", "data", "invoice", "2026", "report", "error", "ok", "request", "json"}
	var b bytes.Buffer
	b.Grow(int(s.size) + 16)
	for int64(b.Len()) < s.size {
		b.WriteString(words[r.IntN(len(words))])
		if r.IntN(12) == 0 {
			fmt.Fprintf(&b, " %d\n", r.IntN(100000))
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:s.size]
}

func chachaSeed(seed uint64, i int) [32]byte {
	var k [32]byte
	for j := range 8 {
		k[j] = byte(seed >> (8 * j))
		k[8+j] = byte(uint64(i) >> (8 * j))
	}
	return k
}

// runFill writes -objects objects into the buckets (which must exist) with
// 8 uploads at a time and prints the mix: objects and bytes per class.
func runFill(ctx context.Context, c *awss3.Client, args []string) error {
	fl := flag.NewFlagSet("fill", flag.ContinueOnError)
	n := fl.Int("objects", 10000, "number of objects")
	seed := fl.Uint64("seed", 0x76656c696e, "seed of names, sizes and contents")
	if err := fl.Parse(args); err != nil {
		return err
	}
	buckets := fl.Args()
	if len(buckets) == 0 {
		return fmt.Errorf("fill: no bucket named")
	}
	var count [nClasses]int
	var bytesIn [nClasses]int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range *n {
		s := objectSpec(*seed, i, buckets)
		count[s.class]++
		bytesIn[s.class] += s.size
		g.Go(func() error { return put(gctx, c, s, content(*seed, i, s)) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var total int64
	for k, cl := range classes() {
		fmt.Fprintf(os.Stdout, "%s %d %d %d %d\n", cl.name, cl.min, cl.max, count[k], bytesIn[k])
		total += bytesIn[k]
	}
	fmt.Fprintf(os.Stdout, "total %d %d\n", *n, total)
	return nil
}

func put(ctx context.Context, c *awss3.Client, s spec, body []byte) error {
	_, err := c.PutObject(ctx, &awss3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(s.key), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(s.size), ContentType: aws.String(s.contentType),
	})
	if err != nil {
		return fmt.Errorf("fill %s/%s: %w", s.bucket, s.key, err)
	}
	return nil
}
