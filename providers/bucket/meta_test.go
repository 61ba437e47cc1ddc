package bucket

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestObjectMetaBounds: metadata within the entry's bounds is kept whole;
// past them the ETag and content type still are, the rest is left out in
// order and named, and the result never passes 16 keys or 1,024 bytes.
func TestObjectMetaBounds(t *testing.T) {
	out := &awss3.GetObjectOutput{ContentType: aws.String("image/png"), Metadata: map[string]string{"a": "1", "b": "2"}}
	m, lost := objectMeta(`"etag"`, out, "k=v")
	if lost != "" || len(m) != 5 || m["m:a"] != "1" || m[metaTags] != "k=v" || m[metaType] != "image/png" {
		t.Errorf("small metadata: %v, lost %q", m, lost)
	}
	many := map[string]string{}
	for i := range 30 {
		many[fmt.Sprintf("k%02d", i)] = strings.Repeat("v", 60)
	}
	out.Metadata = many
	m, lost = objectMeta(`"etag"`, out, "k=v")
	size := 0
	for k, v := range m {
		size += len(k) + len(v)
	}
	if len(m) > maxMetaKeys || size > maxMetaBytes {
		t.Errorf("meta of %d keys, %d bytes passes the bounds", len(m), size)
	}
	if m[metaETag] != `"etag"` || m[metaType] != "image/png" || m["m:k00"] == "" {
		t.Errorf("the first items were not kept: %v", m)
	}
	if !strings.Contains(lost, "m:k29") || !strings.Contains(lost, metaTags) || strings.Contains(lost, "m:k00") {
		t.Errorf("lost %q does not name what was left out", lost)
	}
}
