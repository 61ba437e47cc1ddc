package repo

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/velinhq/velin/engine/repo/repotest"
	"github.com/velinhq/velin/engine/storage"
)

// lostResponses is a storage whose conditional writes store the object and
// then answer ErrExists: what an S3 client sees when a PUT's response is
// lost and its retry finds the object the first attempt stored.
type lostResponses struct {
	storage.Storage
	mu   sync.Mutex
	lost int
}

func (s *lostResponses) Put(ctx context.Context, name string, r io.Reader, size int64, o storage.PutOptions) error {
	err := s.Storage.Put(ctx, name, r, size, o)
	if err != nil || !o.IfAbsent {
		return err
	}
	s.mu.Lock()
	s.lost++
	s.mu.Unlock()
	return storage.ErrExists
}

// TestLostResponseOfConditionalWrite: a repository initialised and a
// snapshot committed over lost responses are whole: the repository opens,
// and the snapshot is there once, under the id it was given (before, init
// failed as "exists" and deleted its own key, and Commit stored a second
// manifest under the next id).
func TestLostResponseOfConditionalWrite(t *testing.T) {
	ctx := context.Background()
	st := &lostResponses{Storage: repotest.NewMem()}
	if _, err := Init(ctx, st, testOptions()); err != nil {
		t.Fatalf("init over a lost response: %v", err)
	}
	r := openTestRepo(t, st)
	w := flushOne(t, r, "lost response")
	m, err := w.Commit(ctx, nil)
	if err != nil {
		t.Fatalf("commit over a lost response: %v", err)
	}
	if st.lost < 2 {
		t.Fatalf("%d conditional writes answered ErrExists, want init's and commit's", st.lost)
	}
	snaps, err := openTestRepo(t, st).Snapshots(ctx)
	if err != nil || len(snaps) != 1 || snaps[0].ID != m.ID {
		ids := []string{}
		for _, s := range snaps {
			ids = append(ids, s.ID)
		}
		t.Fatalf("snapshots %v (%v), want only %s", ids, err, m.ID)
	}
}

// TestConditionalWriteStillRefusesOthers: an object another writer stored
// under the name is still ErrExists.
func TestConditionalWriteStillRefusesOthers(t *testing.T) {
	ctx := context.Background()
	st := repotest.NewMem()
	if err := putBytes(ctx, st, "snapshots/x", []byte("theirs"), true); err != nil {
		t.Fatal(err)
	}
	if err := putBytes(ctx, st, "snapshots/x", []byte("ours"), true); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("second writer: %v, want ErrExists", err)
	}
}
