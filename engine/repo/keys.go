package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/velinhq/velin/engine/repo/crypto"
	"github.com/velinhq/velin/engine/storage"
)

// Key errors.
var (
	ErrNotEncrypted = errors.New("the repository is not encrypted: it has no keys")
	ErrKeyNotFound  = errors.New("no such key")
	ErrKeyInUse     = errors.New("this is the key that opened the repository: open it with another passphrase to remove this one, or use `velin key passwd`")
)

// KeyInfo describes one key file (never its secret).
type KeyInfo struct {
	ID      string    `json:"id"`
	Host    string    `json:"host"`
	Created time.Time `json:"created"`
	Current bool      `json:"current"` // the key that opened this repository
}

// Keys lists the repository's key files, oldest first. Damaged key files
// are listed with a zero Created time.
func (r *Repository) Keys(ctx context.Context) ([]KeyInfo, error) {
	if !r.key.Encrypted() {
		return nil, ErrNotEncrypted
	}
	names, err := r.listNames(ctx, "keys/")
	if err != nil {
		return nil, err
	}
	out := []KeyInfo{}
	for _, name := range names {
		data, err := getBytes(ctx, r.st, name)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		var kf crypto.KeyFile
		_ = json.Unmarshal(data, &kf) // a damaged file is listed without details
		out = append(out, KeyInfo{ID: strings.TrimPrefix(name, "keys/"), Host: kf.Host,
			Created: kf.Created, Current: name == r.keyName})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// AddKey stores the master key sealed under another passphrase and returns
// the new key's id. Data is not re-encrypted: every key opens the same
// master key.
func (r *Repository) AddKey(ctx context.Context, passphrase string) (string, error) {
	if !r.key.Encrypted() {
		return "", ErrNotEncrypted
	}
	if passphrase == "" {
		return "", fmt.Errorf("add key: %w", ErrNoPassphrase)
	}
	o := r.opts
	o.Passphrase = passphrase
	name := "keys/" + randomName()
	if err := writeKeyFile(ctx, r.st, name, r.key, o); err != nil {
		return "", err
	}
	return strings.TrimPrefix(name, "keys/"), nil
}

// RemoveKey deletes the key file with the given id (or a unique prefix of
// at least 4 characters). The key that opened the repository cannot be
// removed (ErrKeyInUse), so a repository always keeps a key that opens it.
func (r *Repository) RemoveKey(ctx context.Context, id string) error {
	name, err := r.findKey(ctx, id)
	if err != nil {
		return err
	}
	if name == r.keyName {
		return fmt.Errorf("remove key %s: %w", id, ErrKeyInUse)
	}
	if err := r.st.Delete(ctx, name); err != nil {
		return fmt.Errorf("remove key %s: %w", id, err)
	}
	return nil
}

// ChangePassphrase adds a key for the new passphrase, then removes the one
// that opened the repository, in that order, so a crash between the two
// leaves both passphrases working rather than neither. It returns the new
// key's id.
func (r *Repository) ChangePassphrase(ctx context.Context, passphrase string) (string, error) {
	id, err := r.AddKey(ctx, passphrase)
	if err != nil {
		return "", err
	}
	old := r.keyName
	r.keyName = "keys/" + id
	if err := r.st.Delete(ctx, old); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return id, fmt.Errorf("remove old key: %w (the old passphrase still works too)", err)
	}
	return id, nil
}

func (r *Repository) findKey(ctx context.Context, id string) (string, error) {
	if !r.key.Encrypted() {
		return "", ErrNotEncrypted
	}
	if len(id) < 4 {
		return "", fmt.Errorf("key id %q: give at least 4 characters (`velin key list` shows them)", id)
	}
	names, err := r.listNames(ctx, "keys/")
	if err != nil {
		return "", err
	}
	var found []string
	for _, name := range names {
		if strings.HasPrefix(strings.TrimPrefix(name, "keys/"), id) {
			found = append(found, name)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("key %s: %w (`velin key list` shows them)", id, ErrKeyNotFound)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("key id %q matches %d keys: give more characters", id, len(found))
}
