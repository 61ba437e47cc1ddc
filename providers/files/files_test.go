package files

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

func decode(t *testing.T, src string) (*Source, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCL([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s, diags := Decode(f.Body, provider.DecodeContext{Dir: "/plans", Secret: func(string) {}})
	if s == nil {
		return nil, diags
	}
	return s.(*Source), diags
}

func TestDecode(t *testing.T) {
	s, diags := decode(t, `
paths = ["./site", "/var/lib/app/"]
exclude = ["*.tmp", "cache/**"]
follow_symlinks = true
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if s.identity() != "/plans/site, /var/lib/app" || !s.followSymlinks || s.oneFileSystem || len(s.exclude) != 2 {
		t.Errorf("decoded %+v", s)
	}
}

func TestDecodeMistakes(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{``, "paths"},
		{`paths = []`, "at least one"},
		{`paths = ["a/site", "b/site"]`, "same base name"},
		{`paths = ["/"]`, "/ itself"},
		{`paths = [""]`, "empty"},
		{"paths = [\"x\"]\nexclude = [\"[bad\"]", "glob"},
		{"paths = [\"x\"]\nexclude = \"*.tmp\"", "list"},
		{"paths = [\"x\"]\nfollow = true", "follow"},
	} {
		_, diags := decode(t, c.src)
		if !diags.HasErrors() {
			t.Errorf("%q: no diagnostic", c.src)
			continue
		}
		d := diags[0]
		if !strings.Contains(d.Summary+" "+d.Detail, c.want) {
			t.Errorf("%q: %q, want it to mention %q", c.src, d.Summary+": "+d.Detail, c.want)
		}
		if d.Subject == nil || d.Subject.Filename != "test.hcl" {
			t.Errorf("%q: diagnostic without a range", c.src)
		}
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func paths(t *testing.T, s *Source) []string {
	t.Helper()
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := s.Backup(context.Background(), snap, provider.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	var out []string
	for p := range snap.Finish().Entries() {
		out = append(out, p)
	}
	return out
}

func TestExclude(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"site/a.txt", "site/x.tmp", "site/deep/y.tmp", "site/cache/c", "site/sub/cache/kept"} {
		write(t, filepath.Join(dir, p), "x")
	}
	s, err := New([]string{filepath.Join(dir, "site")}, []string{"*.tmp", "cache/**"}, false, false)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(sortedCopy(paths(t, s)), " ")
	want := "site site/a.txt site/deep site/sub site/sub/cache site/sub/cache/kept"
	if got != want {
		t.Errorf("entries %q, want %q", got, want)
	}
}

func TestFollowSymlinks(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "other/real.txt"), "real")
	write(t, filepath.Join(dir, "site/a.txt"), "a")
	os.Symlink(filepath.Join(dir, "other"), filepath.Join(dir, "site/link"))
	os.Symlink(filepath.Join(dir, "site"), filepath.Join(dir, "site/loop"))
	s, _ := New([]string{filepath.Join(dir, "site")}, nil, true, false)
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := s.Backup(context.Background(), snap, provider.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	entries := snap.Finish().Entries()
	if e := entries["site/link/real.txt"]; e.Kind != provider.KindFile {
		t.Errorf("followed link: %+v", e)
	}
	if e := entries["site/loop"]; e.Kind != provider.KindSymlink {
		t.Errorf("a link back to an ancestor should stay a symlink: %+v", e)
	}
}

func TestVanishedRootIsAnError(t *testing.T) {
	s, _ := New([]string{filepath.Join(t.TempDir(), "gone")}, nil, false, false)
	if _, err := s.Inspect(context.Background()); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("inspect of a missing root: %v", err)
	}
}

func sortedCopy(p []string) []string {
	out := append([]string(nil), p...)
	sortPaths(out)
	return out
}

func TestUnreadableFileIsAnError(t *testing.T) {
	if os.Geteuid() == 0 {
		asNobody(t) // root reads every file
		return
	}
	dir := t.TempDir()
	secret := filepath.Join(dir, "site/secret")
	write(t, secret, "x")
	os.Chmod(secret, 0)
	s, _ := New([]string{filepath.Join(dir, "site")}, nil, false, false)
	_, err := s.Backup(context.Background(), sourcetest.NewMemSnapshot(nil), provider.BackupOptions{})
	// The rest is backed up; the snapshot is partial (exit code 3) and
	// says which entry, relative to the source root, it lacks and why.
	if !errors.Is(err, provider.ErrPartial) || !strings.Contains(err.Error(), "open site/secret: permission denied") {
		t.Errorf("backup of an unreadable file: %v, want a partial error naming site/secret", err)
	}
}

func TestFileRootRoundTrip(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "app.conf")
	write(t, conf, "setting = 1\n")
	s, _ := New([]string{conf}, nil, false, false)
	snap := sourcetest.NewMemSnapshot(nil)
	facts, err := s.Backup(context.Background(), snap, provider.BackupOptions{})
	if err != nil || facts.Files != 1 || facts.Bytes != 12 {
		t.Fatalf("backup: %+v, %v", facts, err)
	}
	write(t, conf, "setting = 2, changed\n")
	tree := snap.Finish()
	changes, err := s.PlanRestore(context.Background(), tree, provider.RestoreOptions{})
	if err != nil || len(changes) != 1 || changes[0].Action != "replace" || changes[0].What != conf {
		t.Fatalf("plan: %+v, %v", changes, err)
	}
	if err := s.Restore(context.Background(), tree, provider.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(conf); string(data) != "setting = 1\n" {
		t.Errorf("restored %q", data)
	}
}
