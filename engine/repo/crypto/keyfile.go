package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/crypto/scrypt"
)

// KDFParams are scrypt's cost parameters.
type KDFParams struct {
	N, R, P int
}

// DefaultKDF is what new key files use: ~100 ms and 32 MiB.
func DefaultKDF() KDFParams { return KDFParams{N: 32768, R: 8, P: 1} }

// KeyFile is the JSON stored at keys/<id>: the master key sealed under a key
// derived from a passphrase.
type KeyFile struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	Host    string    `json:"host"`
	KDF     string    `json:"kdf"`
	N       int       `json:"n"`
	R       int       `json:"r"`
	P       int       `json:"p"`
	Salt    []byte    `json:"salt"`
	Sealed  []byte    `json:"sealed"`
}

const keyFileAAD = "velin key file v1"

// NewKeyFile seals k under passphrase.
func NewKeyFile(k *Key, passphrase, host string, now time.Time, p KDFParams) (*KeyFile, error) {
	if k.none {
		return nil, fmt.Errorf("new key file: repository is not encrypted")
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("new key file: %w", err)
	}
	f := &KeyFile{Version: 1, Created: now.UTC(), Host: host, KDF: "scrypt", N: p.N, R: p.R, P: p.P, Salt: salt}
	aead, err := f.derive(passphrase)
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(k.raw)
	if err != nil {
		return nil, fmt.Errorf("new key file: %w", err)
	}
	nonce := make([]byte, nonceLen)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("new key file: %w", err)
	}
	f.Sealed = aead.Seal(nonce, nonce, plain, []byte(keyFileAAD))
	return f, nil
}

// Unlock opens the master key. A passphrase that does not fit is
// ErrWrongPassphrase.
func (f *KeyFile) Unlock(passphrase string) (*Key, error) {
	if f.Version != 1 || f.KDF != "scrypt" {
		return nil, fmt.Errorf("unlock key: unsupported version %d kdf %q", f.Version, f.KDF)
	}
	aead, err := f.derive(passphrase)
	if err != nil {
		return nil, err
	}
	if len(f.Sealed) < nonceLen+tagLen {
		return nil, ErrWrongPassphrase
	}
	plain, err := aead.Open(nil, f.Sealed[:nonceLen], f.Sealed[nonceLen:], []byte(keyFileAAD))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	var m master
	if err := json.Unmarshal(plain, &m); err != nil {
		return nil, fmt.Errorf("unlock key: %w", err)
	}
	return fromMaster(m)
}

func (f *KeyFile) derive(passphrase string) (cipher.AEAD, error) {
	if f.N < 1024 || f.N > 1<<22 || f.R < 1 || f.R > 32 || f.P < 1 || f.P > 16 {
		return nil, fmt.Errorf("derive key: scrypt parameters out of range")
	}
	dk, err := scrypt.Key([]byte(passphrase), f.Salt, f.N, f.R, f.P, keyLen)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	block, err := aes.NewCipher(dk)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	return cipher.NewGCM(block)
}
