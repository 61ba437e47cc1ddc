package local

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/providers/provider"
)

func decode(t *testing.T, dir, src string) (*Target, *[]string, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCL([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	eval := &hcl.EvalContext{Variables: map[string]cty.Value{
		"var": cty.ObjectVal(map[string]cty.Value{
			"empty":  cty.StringVal(""),
			"secret": cty.StringVal("marked-pass").Mark("sensitive"),
			"level":  cty.NumberIntVal(7),
		}),
	}}
	secrets := new([]string)
	tg, diags := Decode(f.Body, provider.DecodeContext{Eval: eval, Dir: dir, Secret: func(v string) { *secrets = append(*secrets, v) }})
	if tg == nil {
		return nil, secrets, diags
	}
	return tg.(*Target), secrets, diags
}

func TestDecode(t *testing.T) {
	cases := []struct {
		src  string
		want provider.RepoOptions
	}{
		{`
path = "repo"
passphrase = "correct horse"`, provider.RepoOptions{Passphrase: "correct horse", Encryption: EncryptionAES}},
		{`
path = "repo"
passphrase = var.secret
compression = var.level`, provider.RepoOptions{Passphrase: "marked-pass", Encryption: EncryptionAES, Compression: 7}},
		{`
path = "repo"
encryption = "none"
compression = "none"`, provider.RepoOptions{Encryption: EncryptionNone, Compression: -1}},
		{`
path = "repo"
key_file = "keys/pass"
compression = 22`, provider.RepoOptions{KeyFile: "/plans/keys/pass", Encryption: EncryptionAES, Compression: 22}},
	}
	for _, c := range cases {
		tg, secrets, diags := decode(t, "/plans", c.src)
		if diags.HasErrors() {
			t.Errorf("%s: %v", c.src, diags)
			continue
		}
		if tg.Repo() != c.want || tg.Location() != "/plans/repo" {
			t.Errorf("%s: %+v at %s, want %+v", c.src, tg.Repo(), tg.Location(), c.want)
		}
		if c.want.Passphrase != "" && (len(*secrets) != 1 || (*secrets)[0] != c.want.Passphrase) {
			t.Errorf("%s: secrets %q", c.src, secrets)
		}
	}
}

func TestDecodeMistakes(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`path = "r"`, "no passphrase"},
		{"path = \"r\"\npassphrase = var.empty", "no passphrase"},
		{"path = \"r\"\npassphrase = \"\"", "no passphrase"},
		{"path = \"r\"\npassphrase = \"pw-xyz\"\nkey_file = \"k\"", "not both"},
		{"path = \"r\"\npassphrase = \"pw-xyz\"\nencryption = \"none\"", "unencrypted"},
		{"path = \"r\"\nencryption = \"rot13\"", "known encryption"},
		{"path = \"r\"\nencryption = \"none\"\ncompression = 23", "1 to 22"},
		{"path = \"r\"\nencryption = \"none\"\ncompression = 0", "1 to 22"},
		{"path = \"r\"\nencryption = \"none\"\ncompression = 2.5", "1 to 22"},
		{"path = \"r\"\nencryption = \"none\"\ncompression = \"fast\"", "1 to 22"},
		{"path = \"r\"\nencryption = \"none\"\ncompression = [1]", "1 to 22"},
		{"path = \"\"\nencryption = \"none\"", "repository directory"},
		{`passphrase = "p"`, "path"},
	} {
		_, secrets, diags := decode(t, "/plans", c.src)
		if !diags.HasErrors() {
			t.Errorf("%q: no diagnostic", c.src)
			continue
		}
		d := diags[0]
		if !strings.Contains(strings.ToLower(d.Summary+" "+d.Detail), strings.ToLower(c.want)) {
			t.Errorf("%q: diagnostic %q, want it to mention %q", c.src, d.Summary+": "+d.Detail, c.want)
		}
		if d.Subject == nil || d.Subject.Filename != "test.hcl" {
			t.Errorf("%q: diagnostic without a range", c.src)
		}
		for _, s := range *secrets {
			if strings.Contains(d.Detail, s) {
				t.Errorf("%q: diagnostic shows the passphrase", c.src)
			}
		}
	}
}

func TestOpenReadsKeyFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pass"), []byte("  from file \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tg, secrets, diags := decode(t, dir, "path = \"repo\"\nkey_file = \"pass\"")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	st, err := tg.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// One rule everywhere (provider.ReadPassphraseFile): only the trailing
	// line break goes; the repository opens with what the workspace reads.
	if got := tg.Repo().Passphrase; got != "  from file " {
		t.Errorf("passphrase %q, want the file content without its line break", got)
	}
	if s, err := tg.Repo().Secret(); err != nil || s != "  from file " {
		t.Errorf("Secret() %q %v", s, err)
	}
	if len(*secrets) != 1 || (*secrets)[0] != "  from file " {
		t.Errorf("secrets %q", secrets)
	}
	if err := st.Put(context.Background(), "keys/x", bytes.NewReader([]byte("hi")), 2, storageOpts()); err != nil {
		t.Fatal(err)
	}
	rc, err := st.Get(context.Background(), "keys/x")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "hi" || st.Location() != filepath.Join(dir, "repo") {
		t.Errorf("storage at %s gave %q", st.Location(), data)
	}
}

func TestOpenEmptyKeyFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pass"), []byte("\n"), 0o600)
	tg, _, _ := decode(t, dir, "path = \"repo\"\nkey_file = \"pass\"")
	if _, err := tg.Open(context.Background()); err == nil {
		t.Error("open with an empty key file succeeded")
	}
	tg2, _, _ := decode(t, dir, "path = \"repo\"\nkey_file = \"missing\"")
	if _, err := tg2.Open(context.Background()); err == nil {
		t.Error("open with a missing key file succeeded")
	}
}

func storageOpts() storage.PutOptions { return storage.PutOptions{} }
