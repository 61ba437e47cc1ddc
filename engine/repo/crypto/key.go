package crypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// Sentinel errors.
var (
	// ErrAuth means a sealed object did not authenticate: wrong key or damage.
	ErrAuth = errors.New("authentication failed")
	// ErrWrongPassphrase means no key file opened with the passphrase.
	ErrWrongPassphrase = errors.New("wrong passphrase")
)

const (
	keyLen   = 32
	nonceLen = 12
	tagLen   = 16
)

// Key is a repository's master key. It is safe for concurrent use.
type Key struct {
	none  bool
	raw   master
	aead  cipher.AEAD
	idKey []byte
	cdc   []byte
	macs  sync.Pool // of hash.Hash (HMAC-SHA256 under idKey)
}

// master is the serialised master key, sealed in key files.
type master struct {
	Enc []byte `json:"enc"`
	ID  []byte `json:"id"`
	CDC []byte `json:"cdc"`
}

// NewKey returns a fresh random master key.
func NewKey() (*Key, error) {
	buf := make([]byte, 3*keyLen)
	if _, err := rand.Read(buf); err != nil {
		return nil, fmt.Errorf("new key: %w", err)
	}
	return fromMaster(master{Enc: buf[:keyLen], ID: buf[keyLen : 2*keyLen], CDC: buf[2*keyLen:]})
}

// None returns the key of an unencrypted repository.
func None() *Key {
	return &Key{none: true}
}

func fromMaster(m master) (*Key, error) {
	if len(m.Enc) != keyLen || len(m.ID) != keyLen || len(m.CDC) != keyLen {
		return nil, fmt.Errorf("master key: bad length")
	}
	block, err := aes.NewCipher(m.Enc)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return &Key{raw: m, aead: aead, idKey: m.ID, cdc: m.CDC}, nil
}

// Encrypted reports whether the key encrypts (false for None).
func (k *Key) Encrypted() bool { return !k.none }

// ChunkerKey is the FastCDC key, nil for an unencrypted repository.
func (k *Key) ChunkerKey() []byte { return k.cdc }

// BlobID is the id of a chunk: HMAC-SHA256 under the id key, or plain
// SHA-256 without encryption.
func (k *Key) BlobID(data []byte) [32]byte {
	var out [32]byte
	if k.none {
		return sha256.Sum256(data)
	}
	h, _ := k.macs.Get().(hash.Hash)
	if h == nil {
		h = hmac.New(sha256.New, k.idKey)
	}
	h.Reset()
	h.Write(data)
	h.Sum(out[:0])
	k.macs.Put(h)
	return out
}

// KeyID is a short public fingerprint of the key, recorded in the config to
// prove a key file belongs to the repository. "" without encryption.
func (k *Key) KeyID() string {
	if k.none {
		return ""
	}
	m := hmac.New(sha256.New, k.idKey)
	m.Write([]byte("velin chunker key id"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// Seal appends the sealed form of plaintext to dst and returns it.
func (k *Key) Seal(dst, plaintext, aad []byte) []byte {
	if k.none {
		dst = append(dst, plaintext...)
		sum := plainSum(plaintext, aad)
		return append(dst, sum[:]...)
	}
	var nonce [nonceLen]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // crypto/rand never fails on Linux
	}
	dst = append(dst, nonce[:]...)
	return k.aead.Seal(dst, nonce[:], plaintext, aad)
}

// Open authenticates sealed, appends its plaintext to dst and returns it.
// A damaged object or a wrong key is ErrAuth.
func (k *Key) Open(dst, sealed, aad []byte) ([]byte, error) {
	if k.none {
		if len(sealed) < sha256.Size {
			return nil, ErrAuth
		}
		body := sealed[:len(sealed)-sha256.Size]
		sum := plainSum(body, aad)
		if !hmac.Equal(sum[:], sealed[len(body):]) {
			return nil, ErrAuth
		}
		return append(dst, body...), nil
	}
	if len(sealed) < nonceLen+tagLen {
		return nil, ErrAuth
	}
	out, err := k.aead.Open(dst, sealed[:nonceLen], sealed[nonceLen:], aad)
	if err != nil {
		return nil, ErrAuth
	}
	return out, nil
}

func plainSum(body, aad []byte) [32]byte {
	h := sha256.New()
	h.Write(aad)
	h.Write(body)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// NewKeySharingChunker returns a fresh master key whose encryption key is
// new and random but whose id and chunker keys are k's: a repository with
// it cuts the same chunks with the same ids as k's (a copy target), yet
// reading it takes its own key. k must encrypt.
func NewKeySharingChunker(k *Key) (*Key, error) {
	if k.none {
		return nil, fmt.Errorf("new key: an unencrypted key has no chunker key to share")
	}
	enc := make([]byte, keyLen)
	if _, err := rand.Read(enc); err != nil {
		return nil, fmt.Errorf("new key: %w", err)
	}
	return fromMaster(master{Enc: enc, ID: bytes.Clone(k.idKey), CDC: bytes.Clone(k.cdc)})
}

// SameChunking reports whether a and b cut and name chunks alike: both
// unencrypted, or both with the same id and chunker keys.
func SameChunking(a, b *Key) bool {
	if a.none || b.none {
		return a.none == b.none
	}
	return hmac.Equal(a.idKey, b.idKey) && hmac.Equal(a.cdc, b.cdc)
}
