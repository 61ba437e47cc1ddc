package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/velinhq/velin/engine/storage/s3/s3test"
)

// diagPlan has a target and a source on the same endpoint.
const diagPlan = `
target "s3" "offsite" {
  endpoint   = %[1]q
  bucket     = "acme-backups"
  access_key = "AKIAEXAMPLE"
  secret_key = env("S3_SECRET_KEY")
  passphrase = env("VELIN_PASSPHRASE")
}
source "s3" "objects" {
  endpoint   = %[1]q
  buckets    = ["acme-uploads"]
  access_key = "AKIAEXAMPLE"
  secret_key = env("S3_SECRET_KEY")
}
backup "b" {
  sources = [source.s3.objects]
  target  = target.s3.offsite
}
`

// actionError returns the error line velin plan prints under the action
// whose line names addr.
func actionError(out, addr string) string {
	in := false
	for _, line := range strings.Split(out, "\n") {
		l := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(l, "+ ") || strings.HasPrefix(l, "~ ") || strings.HasPrefix(l, "- "):
			in = strings.Contains(l, addr)
		case in && strings.HasPrefix(l, "error: "):
			return l
		}
	}
	return ""
}

// TestE2ES3PlanRegionAndClock: a bucket in another region and a clock
// more than 15 minutes off are errors of velin plan under the target's
// and the source's action, each naming them and with its fix; velin backup
// list names the target too. The server is a fake that
// answers as Amazon S3 does (MinIO accepts any region; a skewed clock
// against the real MinIO is tested in engine/storage/s3).
func TestE2ES3PlanRegionAndClock(t *testing.T) {
	cases := []struct {
		name   string
		status int
		code   string
		msg    string
		header map[string]string
		want   []string
	}{
		{"wrong region", http.StatusMovedPermanently, "PermanentRedirect", s3test.MsgPermanentRedirect,
			map[string]string{"X-Amz-Bucket-Region": "eu-central-1"}, []string{"wrong region", `set region = "eu-central-1"`}},
		{"wrong region, signed for another", http.StatusBadRequest, "AuthorizationHeaderMalformed", s3test.MsgAuthorizationHeaderMalformed,
			nil, []string{"wrong region", `set region = "eu-central-1"`}},
		{"clock skew", http.StatusForbidden, "RequestTimeTooSkewed", s3test.MsgRequestTimeTooSkewed,
			nil, []string{"clock skewed", "set the clock right"}},
	}
	const secret = "secret-example-key-42"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			endpoint := s3test.AWSError(t, c.status, c.code, c.msg, c.header)
			p := newProject(t, fmt.Sprintf(diagPlan, endpoint))
			p.env = append(p.env, "S3_SECRET_KEY="+secret)
			r := p.run("plan")
			if r.code == 0 {
				t.Fatalf("plan succeeded: %s", r)
			}
			target := actionError(r.stdout, "target.s3.offsite")
			wantIn(t, "target's error", target, append(c.want, "target s3.offsite: ", "s3:acme-backups")...)
			source := actionError(r.stdout, "source.s3.objects")
			wantIn(t, "source's error", source, append(c.want, "s3 source", "s3:acme-uploads")...)
			list := p.run("backup", "list")
			wantIn(t, "backup list", list.stderr, append(c.want, "target s3.offsite: ")...)
			if strings.Contains(r.stdout+r.stderr+list.stderr, secret) {
				t.Errorf("plan shows the secret key:\n%s", r)
			}
		})
	}
}
