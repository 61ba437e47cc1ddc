package workspace

import (
	"context"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/providers/provider"
)

// openCounted is a target that counts how often it is opened (an S3
// target checks its bucket each time).
type openCounted struct {
	st    storage.Storage
	opens int
}

func (o *openCounted) Open(context.Context) (storage.Storage, error) {
	o.opens++
	return o.st, nil
}

func (o *openCounted) Repo() provider.RepoOptions {
	return provider.RepoOptions{Encryption: repo.EncryptionNone}
}

func (o *openCounted) Location() string { return "counted" }

// TestAbsentStorageReused: a repository the plan's checks found missing is
// created by the backup in the storage they opened, not a second one.
func TestAbsentStorageReused(t *testing.T) {
	ctx := context.Background()
	w := &Workspace{opts: Options{Clock: time.Now}, repos: map[string]*repo.Repository{},
		absent: map[string]storage.Storage{}}
	tgt := &openCounted{st: repotest.NewMem()}
	if r, err := w.open(ctx, "target.x.y", tgt, "", false); r != nil || err != nil {
		t.Fatalf("read-only open of an empty storage: %v, %v; want none", r, err)
	}
	r, err := w.open(ctx, "target.x.y", tgt, "", true)
	if err != nil || r == nil {
		t.Fatalf("creating open: %v", err)
	}
	defer r.Close()
	if tgt.opens != 1 {
		t.Errorf("the target was opened %d times, want once", tgt.opens)
	}
}
