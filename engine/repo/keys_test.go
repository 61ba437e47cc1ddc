package repo

import (
	"context"
	"errors"
	"testing"
)

func TestKeysAddRemovePasswd(t *testing.T) {
	ctx := context.Background()
	r, st := newTestRepo(t)
	keys, err := r.Keys(ctx)
	if err != nil || len(keys) != 1 || !keys[0].Current || keys[0].Host != "testhost" {
		t.Fatalf("keys of a new repository: %+v %v", keys, err)
	}
	id, err := r.AddKey(ctx, "second passphrase")
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions()
	o.Passphrase = "second passphrase"
	r2, err := Open(ctx, st, o)
	if err != nil {
		t.Fatalf("open with the added passphrase: %v", err)
	}
	defer r2.Close()
	if err := r2.RemoveKey(ctx, id); !errors.Is(err, ErrKeyInUse) {
		t.Fatalf("removing the key in use: %v", err)
	}
	if err := r2.RemoveKey(ctx, keys[0].ID[:8]); err != nil {
		t.Fatalf("remove the first key by prefix: %v", err)
	}
	if _, err := Open(ctx, st, testOptions()); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("removed passphrase still opens: %v", err)
	}
	newID, err := r2.ChangePassphrase(ctx, "third passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, st, o); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase opens after passwd: %v", err)
	}
	o.Passphrase = "third passphrase"
	r3, err := Open(ctx, st, o)
	if err != nil {
		t.Fatalf("new passphrase: %v", err)
	}
	defer r3.Close()
	keys, _ = r3.Keys(ctx)
	if len(keys) != 1 || keys[0].ID != newID || !keys[0].Current {
		t.Fatalf("keys after passwd: %+v", keys)
	}
	// Every key opens the same master key: no data is re-encrypted.
	if r3.key.KeyID() != r.key.KeyID() {
		t.Fatal("passwd changed the master key")
	}
}

func TestOpenAnyEncryption(t *testing.T) {
	ctx := context.Background()
	_, st := newTestRepo(t)
	o := testOptions()
	o.Encryption = EncryptionAny
	r, err := Open(ctx, st, o)
	if err != nil {
		t.Fatalf("open encrypted with any: %v", err)
	}
	r.Close()
	o.Passphrase = ""
	if _, err := Open(ctx, st, o); !errors.Is(err, ErrNoPassphrase) {
		t.Fatalf("no passphrase: %v", err)
	}
	if _, err := Init(ctx, st, o); err == nil {
		t.Fatal("init with encryption any succeeded")
	}
}
