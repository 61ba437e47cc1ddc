package s3

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"github.com/velinhq/velin/providers/provider"
)

func decode(t *testing.T, src string) (*Target, []string, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCL([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	eval := &hcl.EvalContext{Variables: map[string]cty.Value{
		"var": cty.ObjectVal(map[string]cty.Value{
			"empty":  cty.StringVal(""),
			"secret": cty.StringVal("secret-key-0042").Mark("sensitive"),
		}),
	}}
	var secrets []string
	tg, diags := Decode(f.Body, provider.DecodeContext{Eval: eval, Dir: "/plans", Secret: func(v string) { secrets = append(secrets, v) }})
	if tg == nil {
		return nil, secrets, diags
	}
	return tg.(*Target), secrets, diags
}

func TestDecode(t *testing.T) {
	tg, secrets, diags := decode(t, `
endpoint   = "http://127.0.0.1:9000"
bucket     = "acme"
prefix     = "velin/prod"
access_key = "AKIAEXAMPLE1"
secret_key = var.secret
passphrase = "correct horse"
compression = 5`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	o := tg.opts
	if o.Bucket != "acme" || o.Prefix != "velin/prod" || !o.PathStyle || o.AccessKey != "AKIAEXAMPLE1" || o.SecretKey != "secret-key-0042" {
		t.Errorf("options %+v", o)
	}
	if r := tg.Repo(); r.Passphrase != "correct horse" || r.Compression != 5 || r.Encryption != "aes-256-gcm" {
		t.Errorf("repository settings %+v", r)
	}
	for _, s := range []string{"AKIAEXAMPLE1", "secret-key-0042", "correct horse"} {
		if !slices.Contains(secrets, s) {
			t.Errorf("%q not registered as a secret (%d registered)", s, len(secrets))
		}
		if strings.Contains(tg.Location(), s) {
			t.Errorf("Location %q shows a secret", tg.Location())
		}
	}
	if tg.Location() != "s3:acme/velin/prod at http://127.0.0.1:9000" {
		t.Errorf("Location = %q", tg.Location())
	}
}

func TestPathStyleDefault(t *testing.T) {
	for src, want := range map[string]bool{
		`endpoint = "http://localhost:9000"`:                 true,
		`endpoint = "http://[::1]:9000"`:                     true,
		`endpoint = "https://s3.eu-central-1.amazonaws.com"`: false,
		``: false,
		"endpoint = \"http://127.0.0.1:9000\"\npath_style = false":    false,
		"endpoint = \"https://minio.example.com\"\npath_style = true": true,
	} {
		tg, _, diags := decode(t, src+"\nbucket = \"b\"\nencryption = \"none\"")
		if diags.HasErrors() {
			t.Fatalf("%s: %v", src, diags)
		}
		if tg.opts.PathStyle != want {
			t.Errorf("%q: path style %v, want %v", src, tg.opts.PathStyle, want)
		}
	}
}

func TestDecodeMistakes(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`passphrase = "p"`, "bucket"},
		{"bucket = \"\"\nencryption = \"none\"", "bucket must name"},
		{"bucket = \"b\"", "This s3 target has no passphrase"},
		{"bucket = \"b\"\nencryption = \"none\"\naccess_key = \"AK\"", "secret_key is empty or unset"},
		{"bucket = \"b\"\nencryption = \"none\"\naccess_key = var.empty\nsecret_key = var.secret", "access_key is empty or unset"},
		{"bucket = \"b\"\nencryption = \"none\"\nendpoint = \"minio:9000\"", "http:// or https:// URL"},
		{"bucket = \"b\"\nencryption = \"none\"\nendpoint = \"http://u:p@host\"", "without credentials"},
		{"bucket = \"b\"\nencryption = \"none\"\nregion2 = \"x\"", "region2"},
		{"bucket = \"b\"\nencryption = \"none\"\ncompression = 99", "1 to 22"},
		{"bucket = \"b\"\nencryption = \"none\"\nprefix = \"velin/../x\"", "Invalid prefix"},
	} {
		_, secrets, diags := decode(t, c.src)
		if !diags.HasErrors() {
			t.Errorf("%q: no diagnostic", c.src)
			continue
		}
		d := diags[0]
		if !strings.Contains(d.Summary+" "+d.Detail, c.want) {
			t.Errorf("%q: diagnostic %q, want it to mention %q", c.src, d.Summary+": "+d.Detail, c.want)
		}
		if d.Subject == nil || d.Subject.Filename != "test.hcl" {
			t.Errorf("%q: diagnostic without a range", c.src)
		}
		for _, s := range secrets {
			if strings.Contains(d.Detail, s) {
				t.Errorf("%q: diagnostic shows a secret", c.src)
			}
		}
	}
}

// TestOpenReadsKeyFile: key_file is read by the shared settings when the
// target opens, before any request (the endpoint here is unreachable).
func TestOpenReadsKeyFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pass"), []byte("from-key-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := "endpoint = \"http://127.0.0.1:1\"\nbucket = \"b\"\naccess_key = \"a\"\nsecret_key = \"s\"\nkey_file = %q"
	tg, _, diags := decode(t, fmt.Sprintf(src, filepath.Join(dir, "missing")))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, err := tg.Open(context.Background()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open with a missing key file: %v, want it to say the file is missing", err)
	}
	tg, _, _ = decode(t, fmt.Sprintf(src, filepath.Join(dir, "pass")))
	if _, err := tg.Open(context.Background()); err == nil {
		t.Error("Open of an unreachable endpoint succeeded")
	}
	if got := tg.Repo().Passphrase; got != "from-key-file" {
		t.Errorf("passphrase %q, want the key file's content", got)
	}
}
