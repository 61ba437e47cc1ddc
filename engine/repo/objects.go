package repo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/velinhq/velin/engine/storage"
)

// randomName is 32 random bytes in hex: a name for keys, indexes and locks.
func randomName() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// putBytes stores data at name, with a conditional write when ifAbsent.
//
// A conditional write (ifAbsent) refused with ErrExists is ours when the
// object holds exactly data: S3's client retries a Put whose response was
// lost, and the retry finds the object the first attempt stored. Every
// object written with ifAbsent holds something unique (a random nonce,
// key or id), so equal bytes mean the same write, never another writer's.
func putBytes(ctx context.Context, st storage.Storage, name string, data []byte, ifAbsent bool) error {
	err := st.Put(ctx, name, bytes.NewReader(data), int64(len(data)), storage.PutOptions{IfAbsent: ifAbsent})
	if ifAbsent && errors.Is(err, storage.ErrExists) && holds(ctx, st, name, data) {
		return nil
	}
	return err
}

// holds says whether the object name exists and holds exactly data.
func holds(ctx context.Context, st storage.Storage, name string, data []byte) bool {
	got, err := getBytes(ctx, st, name)
	return err == nil && bytes.Equal(got, data)
}

func getBytes(ctx context.Context, st storage.Storage, name string) ([]byte, error) {
	rc, err := st.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// getRange reads exactly n bytes at off.
func getRange(ctx context.Context, st storage.Storage, name string, off, n int64) ([]byte, error) {
	return getRangeInto(ctx, st, name, off, n, nil)
}

// getRangeInto is getRange reading into buf when it is large enough.
func getRangeInto(ctx context.Context, st storage.Storage, name string, off, n int64, buf []byte) ([]byte, error) {
	rc, err := st.GetRange(ctx, name, off, n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if int64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(rc, buf); err != nil {
		return nil, fmt.Errorf("read %s at %d: %w", name, off, err)
	}
	return buf, nil
}

// putSealedJSON writes v as sealed JSON.
func (r *Repository) putSealedJSON(ctx context.Context, name, aad string, v any, ifAbsent bool) error {
	plain, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return putBytes(ctx, r.st, name, r.key.Seal(nil, plain, []byte(aad)), ifAbsent)
}

// getSealed reads and authenticates a sealed object.
func (r *Repository) getSealed(ctx context.Context, name, aad string) ([]byte, error) {
	data, err := getBytes(ctx, r.st, name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	plain, err := r.key.Open(nil, data, []byte(aad))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return plain, nil
}

// listNames lists object names under prefix.
func (r *Repository) listNames(ctx context.Context, prefix string) ([]string, error) {
	var names []string
	var infos map[string]storage.ObjectInfo // for the cache's tags
	if r.cache != nil && cachedPrefix(prefix) {
		infos = map[string]storage.ObjectInfo{}
	}
	err := r.st.List(ctx, prefix, func(oi storage.ObjectInfo) error {
		names = append(names, oi.Name)
		if infos != nil {
			infos[oi.Name] = oi
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	r.noteListing(prefix, infos)
	return names, nil
}
