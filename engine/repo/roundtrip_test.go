package repo

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

func randomTree(rng *rand.Rand) []item {
	mt := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	items := []item{
		{e: provider.Entry{Path: "dir", Kind: provider.KindDir, Mode: 0o750 | 0o1000, ModTime: mt, UID: 5, GID: 6}},
		fileItem("dir/empty", nil, mt),
		fileItem("dir/zero-len-reader", []byte{}, mt),
		fileItem("big.bin", randBytes(rng, 5<<20+123), mt),
		fileItem("big.txt", textBytes(rng, 3<<20+7), mt),
		fileItem("ünïcødé/日本語.txt", []byte("こんにちは"), mt),
		{e: provider.Entry{Path: "link", Kind: provider.KindSymlink, Mode: 0o777, ModTime: mt, Target: "dir/empty"}},
		{e: provider.Entry{Path: "dir/hard", Kind: provider.KindHardlink, Mode: 0o644, ModTime: mt, Target: "big.txt"}},
		{e: provider.Entry{Path: "emptydir", Kind: provider.KindDir, Mode: 0o700, ModTime: mt}},
	}
	deep := strings.Repeat("d/", 40) + "leaf"
	items = append(items, fileItem(deep, []byte("deep"), mt))
	for i := range 300 {
		items = append(items, fileItem(fmt.Sprintf("many/f%03d.txt", i), textBytes(rng, rng.IntN(20000)), mt))
	}
	sparse := fileItem("sparse", randBytes(rng, 100), mt)
	sparse.e.Sparse = true
	sparse.e.Meta = map[string]string{"database": "app", "client": "pg_dump 15.20"}
	return append(items, sparse)
}

func TestRoundTrip(t *testing.T) {
	for _, enc := range []string{EncryptionAES, EncryptionNone} {
		t.Run(enc, func(t *testing.T) {
			o := testOptions()
			if enc == EncryptionNone {
				o.Encryption, o.Passphrase = EncryptionNone, ""
			}
			r, _ := newTestRepoWith(t, o)
			items := randomTree(rand.New(rand.NewPCG(1, 2)))
			m := backup(t, r, nil, "files", "site", items)
			if m.ID != "20250304-0506-full" {
				t.Errorf("id = %q", m.ID)
			}
			checkItems(t, r, m, "files.site", items)
			src := m.Source("files.site")
			var files, size int64
			for _, it := range items {
				if it.e.Kind == provider.KindFile {
					files, size = files+1, size+int64(len(it.data))
				}
			}
			if src.Files != files || src.Bytes != size || src.Identity != "/src/site" || m.Size != size {
				t.Errorf("source manifest %+v", src)
			}
		})
	}
}

func checkItems(t *testing.T, r *Repository, m *Manifest, key string, items []item) {
	t.Helper()
	got, data := readAll(t, r, m, key)
	want := map[string]item{}
	for _, it := range items {
		want[it.e.Path] = it
	}
	seen := map[string]bool{}
	for _, e := range got {
		seen[e.Path] = true
		it, ok := want[e.Path]
		if !ok {
			if e.Kind != provider.KindDir {
				t.Errorf("unexpected entry %s", e.Path)
			}
			continue
		}
		w := it.e
		w.ModTime, w.ChangeTime = w.ModTime.UTC(), w.ChangeTime.UTC()
		if w.ModTime.IsZero() {
			w.ModTime = time.Time{}
		}
		if !reflect.DeepEqual(e, w) {
			t.Errorf("entry %s:\n got %+v\nwant %+v", e.Path, e, w)
		}
		if e.Kind == provider.KindFile && !bytes.Equal(data[e.Path], it.data) {
			t.Errorf("content of %s differs (%d vs %d bytes)", e.Path, len(data[e.Path]), len(it.data))
		}
	}
	for p := range want {
		if !seen[p] {
			t.Errorf("missing %s", p)
		}
	}
	// Walk order: a directory before its children.
	for i := 1; i < len(got); i++ {
		if d := parentDir(got[i].Path); d != "" {
			found := false
			for _, e := range got[:i] {
				found = found || e.Path == d
			}
			if !found {
				t.Errorf("%s came before its directory", got[i].Path)
			}
		}
	}
}
