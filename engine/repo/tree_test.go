package repo

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// Names and targets that are not UTF-8 round-trip byte for byte, and two
// of them that differ only there stay two entries.
func TestTreeRawNamesRoundTrip(t *testing.T) {
	r, _ := newTestRepo(t)
	mtime := time.Unix(1700000000, 0)
	latin1a, latin1b := "data/caf\xe9.txt", "data/caf\xe8.txt"
	items := []item{
		{e: provider.Entry{Path: "data", Kind: provider.KindDir, Mode: 0o755, ModTime: mtime}},
		fileItem(latin1a, []byte("one"), mtime),
		fileItem(latin1b, []byte("two"), mtime),
		fileItem("data/café.txt", []byte("utf-8"), mtime),
		{e: provider.Entry{Path: "data/l\xff", Kind: provider.KindSymlink, Mode: 0o777, ModTime: mtime, Target: "caf\xe9.txt"}},
		{e: provider.Entry{Path: "data/h", Kind: provider.KindHardlink, Mode: 0o644, ModTime: mtime, Target: latin1a}},
	}
	m := backup(t, r, nil, "files", "site", items)
	entries, data := readAll(t, r, m, "files.site")
	got := map[string]provider.Entry{}
	for _, e := range entries {
		got[e.Path] = e
	}
	if len(got) != len(items) {
		t.Fatalf("%d entries back, want %d: %+v", len(got), len(items), entries)
	}
	if string(data[latin1a]) != "one" || string(data[latin1b]) != "two" || string(data["data/café.txt"]) != "utf-8" {
		t.Errorf("contents: %q", data)
	}
	if got["data/l\xff"].Target != "caf\xe9.txt" || got["data/h"].Target != latin1a {
		t.Errorf("targets: %q, %q", got["data/l\xff"].Target, got["data/h"].Target)
	}
}

func TestTreeRawNamesEncoding(t *testing.T) {
	nodes := []node{
		{Name: "caf\xe9", Kind: provider.KindSymlink, Target: "\xff"},
		{Name: "café", Kind: provider.KindSymlink, Target: "x"},
	}
	parts, err := encodeTree(nodes, defaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	data := parts[0]
	if !bytes.Contains(data, []byte(`"name_raw":"Y2Fm6Q=="`)) || !bytes.Contains(data, []byte(`"target_raw":"/w=="`)) ||
		!bytes.Contains(data, []byte(`"name":"café"`)) {
		t.Errorf("encoded: %s", data)
	}
	back, _, err := decodeTree(data, defaultLimits())
	if err != nil || len(back) != 2 || back[1].Name != "caf\xe9" || back[1].Target != "\xff" || back[1].NameRaw != nil {
		t.Fatalf("decoded %+v, %v", back, err)
	}
	for _, bad := range []string{
		`{"nodes":[{"name_raw":"eA==","kind":"symlink","target":"x"}]}`,              // valid UTF-8 in raw
		`{"nodes":[{"name":"y","name_raw":"/w==","kind":"symlink","target":"x"}]}`,   // both
		`{"nodes":[{"name":"y","kind":"symlink","target":"x","target_raw":"eA=="}]}`, // both, target
		`{"nodes":[{"name_raw":"L/8=","kind":"symlink","target":"x"}]}`,              // "/\xff"
	} {
		if _, _, err := decodeTree([]byte(bad), defaultLimits()); err == nil || !strings.Contains(err.Error(), "decode tree") {
			t.Errorf("%s: decoded, err %v", bad, err)
		}
	}
}
