package bucket

import (
	"slices"
	"sort"
	"testing"
)

// TestKeyPaths: every awkward key becomes a path the repository accepts
// (no empty, "." or ".." element, no NUL) and decodes back to itself.
func TestKeyPaths(t *testing.T) {
	keys := []string{"plain.txt", "with space.txt", "ünïcödé/文件.txt", "a+b=c&d.txt", "100%.txt", "%41%",
		"double//slash", "trailing/", "/leading", "../escape", "./dot/..", "a/./b", "nul\x00byte", "%-", "x%~", "%2E"}
	seen := map[string]string{}
	for _, k := range keys {
		for _, prefix := range []bool{false, true} {
			p := encodeKey("bkt", k, prefix)
			if !repoValid(p) {
				t.Errorf("key %q (prefix %v) → %q: not a valid entry path", k, prefix, p)
			}
			b, got, err := decodePath(p)
			if err != nil || b != "bkt" || got != k {
				t.Errorf("key %q → %q → %q %q, %v", k, p, b, got, err)
			}
			if other, dup := seen[p]; dup {
				t.Errorf("keys %q and %q share the path %q", other, k, p)
			}
			seen[p] = k
		}
	}
	if p := encodeKey("bkt", "with space/ü+x.txt", false); p != "bkt/with space/ü+x.txt" {
		t.Errorf("a key that is a valid path changed: %q", p)
	}
}

func repoValid(p string) bool {
	for _, part := range splitSlash(p) {
		if part == "" || part == "." || part == ".." || slices.Contains([]byte(part), 0) {
			return false
		}
	}
	return true
}

func splitSlash(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}

func TestDecodeRefusesForeignPaths(t *testing.T) {
	for _, p := range []string{"bkt", "bkt/a%", "bkt/a%4", "bkt/%zz", "bkt/%~", "/x"} {
		if _, _, err := decodePath(p); err == nil {
			t.Errorf("decodePath(%q) succeeded", p)
		}
	}
}

// TestResolverFindsPrefixes: an object whose key also starts other keys
// ("a/b" next to "a/b/c") is marked, whatever lies between them in byte
// order ("a/b!", "a/b-x"), and no other.
func TestResolverFindsPrefixes(t *testing.T) {
	keys := []string{"a", "a/b", "a/b!", "a/b-x", "a/b-x/y", "a/b/c", "a/bc", "b", "b!", "c/", "c//d"}
	sort.Strings(keys)
	want := map[string]bool{"a": true, "a/b": true, "a/b-x": true, "c/": true}
	got := map[string]bool{}
	r := resolver{emit: func(o object) error {
		_, _, err := decodePath(o.path)
		if err != nil {
			t.Errorf("%q: %v", o.path, err)
		}
		got[o.key] = o.path != encodeKey("b", o.key, false)
		return nil
	}}
	for _, k := range keys {
		if err := r.add(object{bucket: "b", key: k}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.flush(); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("key %q: marked as prefix %v, want %v", k, got[k], want[k])
		}
	}
	if len(got) != len(keys) {
		t.Errorf("emitted %d objects of %d", len(got), len(keys))
	}
}
