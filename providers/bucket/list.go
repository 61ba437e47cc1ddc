package bucket

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/bmatcuk/doublestar/v4"
)

// object is one object of a listing.
type object struct {
	bucket, key string
	size        int64
	etag        string
	mod         time.Time
	path        string // entry path, set once it is known whether key is also a prefix
}

func validGlob(g string) bool {
	return g != "" && doublestar.ValidatePattern(g)
}

// excluded says whether an exclude pattern matches the bucket (a pattern
// without "/") or BUCKET/KEY or one of its parent prefixes (a pattern with
// "/", doublestar syntax, matched against the raw key).
func (s *Source) excluded(bucket, key string) bool {
	for _, g := range s.opts.Exclude {
		if !strings.Contains(g, "/") {
			if ok, _ := doublestar.Match(g, bucket); ok {
				return true
			}
			continue
		}
		for p := bucket + "/" + key; len(p) > len(bucket); {
			if ok, _ := doublestar.Match(g, p); ok {
				return true
			}
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	return false
}

// buckets returns the configured buckets ("*": every bucket the server
// lists), excluded ones left out, sorted.
func (s *Source) buckets(ctx context.Context, opt ...func(*awss3.Options)) ([]string, error) {
	names := s.opts.Buckets
	if len(names) == 1 && names[0] == "*" {
		out, err := s.client.ListBuckets(ctx, &awss3.ListBucketsInput{}, opt...)
		if err != nil {
			return nil, s.explain("list buckets", "", err)
		}
		names = nil
		for _, b := range out.Buckets {
			names = append(names, aws.ToString(b.Name))
		}
	}
	var keep []string
	for _, b := range names {
		if !s.excluded(b, "") {
			keep = append(keep, b)
		}
	}
	sort.Strings(keep)
	return keep, nil
}

// list calls fn for every object of bucket that is not excluded, in key
// order (S3 lists keys in byte order), with its entry path set.
func (s *Source) list(ctx context.Context, bucket string, fn func(object) error, opt ...func(*awss3.Options)) error {
	res := resolver{emit: fn}
	pages := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx, opt...)
		if err != nil {
			return s.explain("list bucket", bucket, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if s.excluded(bucket, key) {
				continue
			}
			err := res.add(object{bucket: bucket, key: key, size: aws.ToInt64(o.Size),
				etag: aws.ToString(o.ETag), mod: aws.ToTime(o.LastModified)})
			if err != nil {
				return err
			}
		}
	}
	return res.flush()
}

// resolver finds, in a listing sorted by key, the objects whose key is
// also a prefix of other keys (K next to K+"/…"). Every key between K and
// K+"/" in byte order starts with K, so the objects still undecided form a
// stack, each a prefix of the next: its depth is bounded by the length of
// a key (1,024 bytes on S3), whatever the number of objects.
type resolver struct {
	pending []object
	emit    func(object) error
}

func (r *resolver) add(o object) error {
	for len(r.pending) > 0 {
		top := r.pending[len(r.pending)-1]
		if strings.HasPrefix(o.key, top.key) && o.key[len(top.key)] < '/' {
			break // a later key may still start with top.key+"/"
		}
		isPrefix := strings.HasPrefix(o.key, top.key+"/")
		r.pending = r.pending[:len(r.pending)-1]
		if err := r.done(top, isPrefix); err != nil {
			return err
		}
	}
	r.pending = append(r.pending, o)
	return nil
}

func (r *resolver) done(o object, isPrefix bool) error {
	o.path = encodeKey(o.bucket, o.key, isPrefix)
	return r.emit(o)
}

// flush decides the objects still pending: no key follows them.
func (r *resolver) flush() error {
	for len(r.pending) > 0 {
		top := r.pending[len(r.pending)-1]
		r.pending = r.pending[:len(r.pending)-1]
		if err := r.done(top, false); err != nil {
			return err
		}
	}
	return nil
}

// errorf is an operation's error naming the bucket.
func errorf(op, bucket string, err error) error {
	if bucket == "" {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s %s: %w", op, bucket, err)
}
