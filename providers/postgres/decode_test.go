package postgres

import (
	"io"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/velinhq/velin/providers/provider"
)

func decode(t *testing.T, src string) (provider.Source, hcl.Diagnostics, []string) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var secrets []string
	s, diags := Decode(f.Body, provider.DecodeContext{Dir: "/etc/velin", Secret: func(v string) { secrets = append(secrets, v) }})
	return s, diags, secrets
}

func TestDecode(t *testing.T) {
	s, diags, secrets := decode(t, `
dsn                = "postgres://app:pw-123@db.example:5433/app?sslmode=require"
databases          = ["app", "billing"]
schemas            = ["public"]
exclude_table_data = ["public.sessions"]
globals            = true
pg_dump_path       = "bin/pg_dump"
timeout            = "2h"
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	src := s.(*Source)
	if src.opts.PgDumpPath != "/etc/velin/bin/pg_dump" || src.opts.Timeout.Hours() != 2 || !src.opts.Globals {
		t.Errorf("options %+v", src.opts)
	}
	if src.identity() != "app@db.example:5433/app,billing" {
		t.Errorf("identity %q", src.identity())
	}
	if !contains(secrets, "pw-123") {
		t.Errorf("the password was not registered as a secret: %v", secrets)
	}
	env := strings.Join(src.conn.env(), "\n")
	for _, want := range []string{"PGPASSWORD=pw-123", "PGSSLMODE=require", "PGPORT=5433", "PGHOST=db.example"} {
		if !strings.Contains(env, want) {
			t.Errorf("tool environment lacks %s", want)
		}
	}
}

func TestDecodeDiagnostics(t *testing.T) {
	cases := map[string]string{
		`dsn = ""`:              "Invalid dsn",
		`dsn = "mysql://x@y/z"`: "Invalid dsn",
		"dsn = \"postgres://a@b/c\"\ndatabases = [\"*\", \"x\"]": "cannot be mixed",
		"dsn = \"postgres://a@b/c\"\nschemas = [\"\"]":           "empty name",
		"dsn = \"postgres://a@b/c\"\ntimeout = \"soon\"":         "positive duration",
		"dsn = \"postgres://a@b/c\"\ntimeout = \"-1s\"":          "positive duration",
	}
	for src, want := range cases {
		_, diags, _ := decode(t, src)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), want) {
			t.Errorf("%s: %v, want %q", src, diags, want)
			continue
		}
		if d := diags[0]; d.Subject == nil || d.Subject.Start.Line < 1 {
			t.Errorf("%s: diagnostic without a range", src)
		}
	}
}

func TestCounter(t *testing.T) {
	dump := "SET x = 1;\n" +
		"COPY public.a (id) FROM stdin;\n1\n2\n\\.\n" +
		"COPY \"Odd Schema\".\"Tablé \"\"q\"\" x\" (\"Ключ\") FROM stdin;\nk\\n1\n" + strings.Repeat("y", 200000) + "\n\\.\n" +
		"COPY public.empty (id) FROM stdin;\n\\.\n" +
		"-- not COPY public.b FROM stdin;\n" + trailer + "\n\n"
	c := newCounter(strings.NewReader(dump))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Fatal(err)
	}
	keys, err := c.byKey()
	if err != nil {
		t.Fatal(err)
	}
	want := map[tableKey]int64{"public\x00a": 2, "Odd Schema\x00Tablé \"q\" x": 2, "public\x00empty": 0}
	if len(keys) != len(want) || c.total() != 4 {
		t.Fatalf("counted %v", keys)
	}
	for k, n := range want {
		if keys[k] != n {
			t.Errorf("%q: %d rows, want %d", k, keys[k], n)
		}
	}
	cut := newCounter(strings.NewReader(dump[:len(dump)-len(trailer)-3]))
	if _, err := io.Copy(io.Discard, cut); err != errTruncated {
		t.Errorf("a dump without its closing comment: %v", err)
	}
	if got := entryName("a/b%c"); got != "a%2Fb%25c.sql" {
		t.Errorf("entryName %q", got)
	}
	if entryName("globals") == globalsEntry {
		t.Error("a database named globals collides with the globals entry")
	}
}
