package bucket

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/bmatcuk/doublestar/v4"

	s3storage "github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/providers/provider"
)

// liveObject is an object of a bucket now, as its listing says.
type liveObject struct {
	size int64
	etag string
}

// live lists a bucket now, by key, without the objects exclude leaves
// out (matched as objects of bucket as, the snapshot's bucket restored
// into this one): nil and no error when the bucket does not exist. It holds one bucket's listing in memory (about 100 bytes
// plus the key per object): what a restore needs to know which objects to
// delete, replace or leave.
func (s *Source) live(ctx context.Context, bucket, as string) (map[string]liveObject, error) {
	out := map[string]liveObject{}
	pages := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			err = s.explain("list bucket", bucket, err)
			if errors.Is(err, s3storage.ErrNoBucket) {
				return nil, nil
			}
			return nil, err
		}
		for _, o := range page.Contents {
			if key := aws.ToString(o.Key); !s.excluded(as, key) { // not ours: never deleted
				out[key] = liveObject{size: aws.ToInt64(o.Size), etag: aws.ToString(o.ETag)}
			}
		}
	}
	return out, nil
}

// same says whether the live object equals a snapshot entry's.
func (l liveObject) same(e provider.Entry) bool {
	return l.size == e.Size && l.etag != "" && l.etag == e.Meta[metaETag]
}

// included says whether p or one of its parents matches a glob of
// include (all when include is empty).
func included(include []string, p string) bool {
	if len(include) == 0 {
		return true
	}
	for q := p; q != "." && q != ""; q = path.Dir(q) {
		for _, g := range include {
			if ok, _ := doublestar.Match(g, q); ok {
				return true
			}
		}
	}
	return false
}

// ensureBucket creates bucket unless it exists.
func (s *Source) ensureBucket(ctx context.Context, bucket string) error {
	_, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil {
		return nil
	}
	if err = s.explain("check bucket", bucket, err); !errors.Is(err, s3storage.ErrNoBucket) {
		return err
	}
	_, err = s.client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return s.explain("create bucket", bucket, err)
	}
	return nil
}

// deleteKeys deletes keys of bucket, up to 1,000 per request, and returns
// how many it deleted.
func (s *Source) deleteKeys(ctx context.Context, bucket string, keys []string) (int, error) {
	done := 0
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		ids := make([]types.ObjectIdentifier, n)
		for i, k := range keys[:n] {
			ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := s.client.DeleteObjects(ctx, &awss3.DeleteObjectsInput{Bucket: aws.String(bucket),
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return done, s.explain("delete objects of", bucket, err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return done, fmt.Errorf("delete %s/%s: %s", bucket, aws.ToString(e.Key), aws.ToString(e.Message))
		}
		done += n
		keys = keys[n:]
	}
	return done, nil
}

// head is the object head a restore writes, from an entry's Meta.
func head(meta map[string]string) s3storage.Head {
	return s3storage.Head{ContentType: meta[metaType], ContentEncoding: meta[metaEncoding],
		ContentDisposition: meta[metaDisposition], ContentLanguage: meta[metaLanguage],
		CacheControl: meta[metaCache], Metadata: userMeta(meta), Tagging: meta[metaTags]}
}

// topName is the bucket of an entry path.
func topName(p string) string {
	b, _, _ := strings.Cut(p, "/")
	return b
}
