package files

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// The test restore's comparison finds what counts of files and bytes miss:
// a changed byte, a renamed file, an extra file.
func TestCompareRestoredFindsDifferences(t *testing.T) {
	site := filepath.Join(t.TempDir(), "site")
	for name, c := range map[string]string{"a.txt": "aaaa", "b.txt": "bbbb", "sub/c.txt": "cccc"} {
		os.MkdirAll(filepath.Dir(filepath.Join(site, name)), 0o755)
		if err := os.WriteFile(filepath.Join(site, name), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := New([]string{site}, nil, false, false)
	if err != nil {
		t.Fatal(err)
	}
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := src.Backup(context.Background(), snap, provider.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	tree := snap.Finish()
	for _, c := range []struct {
		name   string
		tamper func(dir string) error
		want   string
	}{
		{"intact", func(string) error { return nil }, ""},
		{"content", func(d string) error { return os.WriteFile(filepath.Join(d, "site/a.txt"), []byte("aaaX"), 0o644) },
			`"site/a.txt": content differs`},
		{"renamed", func(d string) error { return os.Rename(filepath.Join(d, "site/b.txt"), filepath.Join(d, "site/b.txX")) },
			`"site/b.txt": missing; "site/b.txX": not in the snapshot`},
		{"extra", func(d string) error { return os.WriteFile(filepath.Join(d, "site/sub/x"), nil, 0o644) },
			`"site/sub/x": not in the snapshot`},
		{"missing dir and an extra", func(d string) error {
			os.RemoveAll(filepath.Join(d, "site/sub"))
			return os.WriteFile(filepath.Join(d, "site/y"), nil, 0o644)
		}, `"site/sub": missing; "site/sub/c.txt": missing; "site/y": not in the snapshot`},
	} {
		t.Run(c.name, func(t *testing.T) {
			scratch := t.TempDir()
			ht := &hashingTree{Tree: tree, sums: map[string][sha256.Size]byte{}}
			if err := src.Restore(context.Background(), ht, provider.RestoreOptions{To: scratch}); err != nil {
				t.Fatal(err)
			}
			if err := c.tamper(scratch); err != nil {
				t.Fatal(err)
			}
			counts, problems, err := compareRestored(context.Background(), ht, scratch)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(problems, "; "); !strings.HasPrefix(got, c.want) || (c.want == "" && got != "") {
				t.Errorf("problems %q, want %q", got, c.want)
			}
			if c.name == "intact" && (counts.Files != 3 || counts.Bytes != 12) {
				t.Errorf("counts %+v", counts)
			}
		})
	}
}
