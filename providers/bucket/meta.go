package bucket

import (
	"context"
	"errors"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	s3storage "github.com/velinhq/velin/engine/storage/s3"
)

// Keys of an object entry's Meta. User metadata ("x-amz-meta-NAME") is
// kept as "m:NAME".
const (
	metaETag        = "etag"
	metaType        = "content-type"
	metaEncoding    = "content-encoding"
	metaDisposition = "content-disposition"
	metaLanguage    = "content-language"
	metaCache       = "cache-control"
	metaTags        = "tags" // URL query form: "a=1&b=2"
	userPrefix      = "m:"
)

// The bounds of provider.Entry.Meta.
const (
	maxMetaKeys  = 16
	maxMetaBytes = 1024
)

// objectMeta is what a restore needs again besides the content: the ETag
// (for incremental backups), the content headers, the user metadata and
// the tags, in that order of priority. What would pass the bounds of an
// entry's Meta (16 keys, 1,024 bytes) is left out, and lost names it.
func objectMeta(etag string, out *awss3.GetObjectOutput, tags string) (meta map[string]string, lost string) {
	meta = map[string]string{}
	size := 0
	var dropped []string
	add := func(k, v string) {
		if v == "" {
			return
		}
		if len(meta) == maxMetaKeys || size+len(k)+len(v) > maxMetaBytes {
			dropped = append(dropped, k)
			return
		}
		meta[k] = v
		size += len(k) + len(v)
	}
	add(metaETag, etag)
	add(metaType, aws.ToString(out.ContentType))
	add(metaEncoding, aws.ToString(out.ContentEncoding))
	add(metaDisposition, aws.ToString(out.ContentDisposition))
	add(metaLanguage, aws.ToString(out.ContentLanguage))
	add(metaCache, aws.ToString(out.CacheControl))
	names := make([]string, 0, len(out.Metadata))
	for k := range out.Metadata {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		add(userPrefix+k, out.Metadata[k])
	}
	add(metaTags, tags)
	if len(dropped) > 0 {
		lost = "metadata over velin's limit of 16 keys and 1,024 bytes per object, not saved: " + strings.Join(dropped, ", ")
	}
	return meta, lost
}

// userMeta returns the user metadata of an entry's Meta.
func userMeta(meta map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range meta {
		if name, ok := strings.CutPrefix(k, userPrefix); ok {
			out[name] = v
		}
	}
	return out
}

// tags returns an object's tags in URL query form, "" when it has none or
// the server does not support tags (then no further object is asked).
// count is the object's x-amz-tagging-count (0 when its GetObject answer
// had none): S3 and MinIO send it only for an object with tags, so only
// such an object costs a GetObjectTagging request.
func (s *Source) tags(ctx context.Context, o object, count int32) (string, error) {
	if count <= 0 || s.noTags.Load() {
		return "", nil
	}
	out, err := s.client.GetObjectTagging(ctx, &awss3.GetObjectTaggingInput{Bucket: aws.String(o.bucket), Key: aws.String(o.key)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && (ae.ErrorCode() == "NotImplemented" || ae.ErrorCode() == "MethodNotAllowed") {
			s.noTags.Store(true)
			return "", nil
		}
		return "", s.explain("read tags of", o.bucket+"/"+o.key, err)
	}
	v := url.Values{}
	for _, t := range out.TagSet {
		v.Add(aws.ToString(t.Key), aws.ToString(t.Value))
	}
	return v.Encode(), nil
}

// isNoSuchKey says whether err is S3's answer for a missing object.
func isNoSuchKey(err error) bool {
	var nk *types.NoSuchKey
	var ae smithy.APIError
	return errors.As(err, &nk) || (errors.As(err, &ae) && ae.ErrorCode() == "NoSuchKey")
}

// explain turns a request's error into one naming the source and, for the
// usual setup mistakes (missing bucket, refused credentials, unreachable
// endpoint), the fix.
func (s *Source) explain(op, what string, err error) error {
	where := "s3 source " + s.identity
	bucket, _, _ := strings.Cut(what, "/")
	return errorf(op, what, s3storage.Explain(where, bucket, err))
}
