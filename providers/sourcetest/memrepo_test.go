package sourcetest

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/velinhq/velin/providers/provider"
)

func TestMemRepo(t *testing.T) {
	ctx := context.Background()
	s1 := NewMemSnapshot(nil)
	put := func(s *MemSnapshot, p string, k provider.Kind, content string) {
		t.Helper()
		var r io.Reader
		if content != "" {
			r = strings.NewReader(content)
		}
		if err := s.Put(ctx, provider.Entry{Path: p, Kind: k, Size: int64(len(content))}, r); err != nil {
			t.Fatal(err)
		}
	}
	put(s1, "a.txt", provider.KindFile, "one")
	put(s1, "a/b", provider.KindFile, "two")
	put(s1, "a", provider.KindDir, "")
	if err := s1.Put(ctx, provider.Entry{Path: "short", Kind: provider.KindFile, Size: 9}, strings.NewReader("x")); err == nil {
		t.Error("put of a short reader succeeded")
	}
	if err := s1.Reuse(ctx, provider.Entry{Path: "a.txt", Kind: provider.KindFile}); err == nil {
		t.Error("reuse without a parent succeeded")
	}
	tree1 := s1.Finish()

	var order []string
	walk(t, tree1, func(e provider.Entry) { order = append(order, e.Path) })
	if got := strings.Join(order, " "); got != "a a/b a.txt" {
		t.Errorf("walk order %q, want directories right before their children", got)
	}

	s2 := NewMemSnapshot(tree1)
	if _, ok := s2.Parent("a/b"); !ok {
		t.Fatal("parent entry missing")
	}
	if err := s2.Reuse(ctx, provider.Entry{Path: "a/b", Kind: provider.KindFile, Size: 3}); err != nil {
		t.Fatal(err)
	}
	if puts, reuses := s2.Counts(); puts != 0 || reuses != 1 {
		t.Errorf("counts %d puts, %d reuses", puts, reuses)
	}
	tree2 := s2.Finish()
	walk(t, tree2, func(e provider.Entry) {
		compareTree(t, tree2, e, "two")
	})
}

func compareTree(t *testing.T, tree provider.Tree, e provider.Entry, want string) {
	r, err := tree.Open(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, _ := io.ReadAll(r)
	if string(got) != want {
		t.Errorf("%s: %q, want %q", e.Path, got, want)
	}
}
