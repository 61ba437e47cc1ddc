package bucket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/velinhq/velin/providers/provider"
)

// Inspect implements provider.Source: it lists the buckets (no object is
// read) and counts their objects and bytes.
func (s *Source) Inspect(ctx context.Context) (provider.Facts, error) {
	f := s.facts()
	// A wrong endpoint is reported in seconds, not after a backup's
	// patience.
	quick := func(o *awss3.Options) { o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 3) }
	names, err := s.buckets(ctx, quick)
	if err != nil {
		return f, err
	}
	if len(names) > 0 {
		f.ServerVersion = s.serverVersion(ctx, names[0], quick)
	}
	for _, b := range names {
		var n, size int64
		err := s.list(ctx, b, func(o object) error {
			n++
			size += o.size
			return nil
		}, quick)
		if err != nil {
			return f, err
		}
		f.Files += n
		f.Bytes += size
		f.Details["bucket "+b] = fmt.Sprintf("%d objects, %d bytes", n, size)
	}
	return f, nil
}

func (s *Source) facts() provider.Facts {
	return provider.Facts{Type: TypeName, Identity: s.identity, Details: map[string]string{}}
}

// Backup implements provider.Source. Each bucket is a directory entry and
// each object a file entry BUCKET/KEY (see encodeKey), its content
// streamed from GetObject into the sink by a few workers. With
// opts.Incremental an object whose ETag, size and modification time equal
// the parent snapshot's is reused without a request.
func (s *Source) Backup(ctx context.Context, sink provider.Sink, opts provider.BackupOptions) (provider.Facts, error) {
	f := s.facts()
	names, err := s.buckets(ctx)
	if err != nil {
		return f, err
	}
	if len(names) > 0 {
		f.ServerVersion = s.serverVersion(ctx, names[0])
	}
	var mu sync.Mutex
	var problems []provider.Problem
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan object, s.workers)
	for range s.workers {
		g.Go(func() error {
			for o := range jobs {
				size, lost, err := s.backupObject(gctx, sink, o, opts.Incremental)
				if errors.Is(err, errVanished) {
					continue
				}
				if err != nil {
					return err
				}
				mu.Lock()
				f.Files++
				f.Bytes += size
				if lost != "" {
					problems = append(problems, provider.Problem{Path: o.path, Op: "meta", Err: lost})
				}
				mu.Unlock()
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(jobs)
		for _, b := range names {
			if err := sink.Put(gctx, provider.Entry{Path: b, Kind: provider.KindDir, Mode: 0o755}, nil); err != nil {
				return fmt.Errorf("backup %s: %w", b, err)
			}
			err := s.list(gctx, b, func(o object) error {
				select {
				case jobs <- o:
					return nil
				case <-gctx.Done():
					return gctx.Err()
				}
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return f, err
	}
	if len(problems) > 0 {
		f.Incomplete = problems
		return f, &provider.Partial{Op: "backup " + s.identity, Problems: problems}
	}
	return f, nil
}

// errVanished is backupObject's error for an object deleted since the
// listing: it is left out of the snapshot.
var errVanished = errors.New("object deleted during the backup")

// backupObject stores one object and returns the size stored; lost names
// the metadata that did not fit in the entry (see objectMeta), "" when
// none.
func (s *Source) backupObject(ctx context.Context, sink provider.Sink, o object, incremental bool) (int64, string, error) {
	e := provider.Entry{Path: o.path, Kind: provider.KindFile, Mode: 0o644, ModTime: o.mod, Size: o.size}
	if incremental {
		if p, ok := sink.Parent(o.path); ok && p.Kind == provider.KindFile && p.Size == o.size &&
			p.Meta[metaETag] == o.etag && p.ModTime.Equal(o.mod) {
			e.Meta = p.Meta
			return e.Size, "", sink.Reuse(ctx, e)
		}
	}
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key)})
	if isNoSuchKey(err) {
		return 0, "", errVanished // deleted since the listing
	}
	if err != nil {
		return 0, "", s.explain("read object", o.bucket+"/"+o.key, err)
	}
	// What is read is what the entry records, also if the object changed
	// since the listing (the listing's time is more precise: milliseconds).
	if etag := aws.ToString(out.ETag); etag != o.etag {
		e.Size, e.ModTime, o.etag = aws.ToInt64(out.ContentLength), aws.ToTime(out.LastModified), etag
	}
	defer out.Body.Close()
	tags, err := s.tags(ctx, o, aws.ToInt32(out.TagCount))
	if err != nil {
		return 0, "", err
	}
	var lost string
	e.Meta, lost = objectMeta(o.etag, out, tags)
	var r io.Reader = out.Body
	if e.Size == 0 {
		r = nil
	}
	if err := sink.Put(ctx, e, r); err != nil {
		return 0, "", fmt.Errorf("backup %s/%s: %w", o.bucket, o.key, err)
	}
	return e.Size, lost, nil
}
