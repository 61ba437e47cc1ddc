package diskcache

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestRoundTripAndTag(t *testing.T) {
	c, err := Open(filepath.Join(t.TempDir(), "c"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Put("index/ab12", "3 5 etag", []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if got, ok := c.Get("index/ab12", "3 5 etag"); !ok || string(got) != "abc" {
		t.Errorf("Get = %q, %v; want abc, true", got, ok)
	}
	if _, ok := c.Get("index/ab12", "3 6 etag"); ok {
		t.Error("Get with another tag hit")
	}
	if _, ok := c.Get("snapshots/ab12", "3 5 etag"); ok {
		t.Error("Get of another kind hit")
	}
	if err := c.Delete("index/ab12"); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Get("index/ab12", "3 5 etag"); ok {
		t.Error("Get after Delete hit")
	}
	if err := c.Delete("index/ab12"); err != nil {
		t.Errorf("Delete of a missing entry: %v", err)
	}
}

func TestDamagedEntryMisses(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(dir)
	if err := c.Put("trees/abcdef", "t", []byte("body")); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "trees", "ab", "abcdef")
	for _, bad := range [][]byte{nil, []byte("VLC1"), []byte("VLC1\xff\xff\xff"), []byte("XLC1\x01tbody")} {
		if err := os.WriteFile(p, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, ok := c.Get("trees/abcdef", "t"); ok {
			t.Errorf("Get of damaged entry %q = %q, want a miss", bad, got)
		}
	}
}

func TestInvalidNames(t *testing.T) {
	c, _ := Open(t.TempDir())
	for _, name := range []string{"", "index", "index/", "index/..", "index/../x", "index/.tmp-1", "keys/ab", "index/a/b", "trees/ab", "snapshots/a b"} {
		if err := c.Put(name, "", nil); err == nil {
			t.Errorf("Put(%q) succeeded", name)
		}
	}
}

func TestNamesAndModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	c, _ := Open(dir)
	want := []string{"trees/aa01", "trees/bb02"}
	for _, n := range append(want, "index/x1") {
		if err := c.Put(n, "", []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := c.Names("trees")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Names(trees) = %v, want %v", got, want)
	}
	for p, mode := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "trees", "aa"): 0o700, filepath.Join(dir, "index", "x1"): 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), mode)
		}
	}
	if names, err := c.Names("snapshots"); err != nil || len(names) != 0 {
		t.Errorf("Names(snapshots) of none = %v, %v", names, err)
	}
}
