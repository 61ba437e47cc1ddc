package repo

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestConfigMissingRefusesInit: a repository whose config object is lost is
// not overwritten by a new one; Open and OpenOrInit name the problem.
func TestConfigMissingRefusesInit(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	backup(t, r, nil, "files", "site", []item{fileItem("a", []byte("hello"), benchTime)})
	keys := st.Names("keys/")
	if err := st.Delete(ctx, "config"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, st, testOptions()); !errors.Is(err, ErrConfigMissing) || !strings.Contains(err.Error(), "memory") {
		t.Fatalf("open without config: %v", err)
	}
	if _, _, err := OpenOrInit(ctx, st, testOptions()); !errors.Is(err, ErrConfigMissing) {
		t.Fatalf("open or init without config: %v", err)
	}
	if _, err := Init(ctx, st, testOptions()); !errors.Is(err, ErrConfigMissing) {
		t.Fatalf("init over data: %v", err)
	}
	if got := st.Names("keys/"); len(got) != len(keys) {
		t.Fatalf("keys written over the old repository: %v, was %v", got, keys)
	}
	if _, err := st.Stat(ctx, "config"); err == nil {
		t.Fatal("a new config was written")
	}
}
