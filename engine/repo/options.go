package repo

import (
	"errors"
	"os"
	"time"
)

// Sentinel errors.
var (
	ErrNoRepository       = errors.New("no repository at this location")
	ErrRepositoryExists   = errors.New("a repository already exists at this location")
	ErrWrongPassphrase    = errors.New("wrong passphrase: no key of the repository opens with it")
	ErrNoPassphrase       = errors.New("no passphrase: set passphrase or key_file on the target, or encryption = \"none\" for an unencrypted repository")
	ErrSnapshotNotFound   = errors.New("snapshot not found")
	ErrAmbiguousID        = errors.New("ambiguous snapshot id")
	ErrLocked             = errors.New("repository is locked")
	ErrEncryptionMismatch = errors.New("encryption setting does not match the repository")
	ErrConfigMissing      = errors.New("the repository's config object is missing but it holds data (put config back from a copy; velin will not create a new repository over it)")
)

// Encryption modes. EncryptionAny opens a repository whatever its mode
// (recovery with `-r PATH`, where no plan says which); Init refuses it.
const (
	EncryptionAES  = "aes-256-gcm"
	EncryptionNone = "none"
	EncryptionAny  = "any"
)

// Options configure Init and Open.
type Options struct {
	Passphrase  string           // secret
	Encryption  string           // "aes-256-gcm" (default when "") or "none"
	Compression int              // zstd level 1..22; 0 = default; -1 = none
	Clock       func() time.Time // nil = time.Now
	Warn        func(msg string) // nil = discard; stale-lock messages etc.
	Host        string           // "" = os.Hostname()
	MachineID   string           // "" = /etc/machine-id where there is one
	Version     string           // velin version recorded in manifests
	// LockTimeout is how long Lock waits for a conflicting lock to go
	// before it fails with ErrLocked; 0 fails at once.
	LockTimeout time.Duration
	// LockLease: a lock this process takes is stale for others when not
	// refreshed for this long; it is refreshed every sixth of it and
	// given up after two thirds. 0 = DefaultLockLease; at least
	// MinLockLease.
	LockLease time.Duration
	// ListLag is how long the storage's listings may lag behind its writes
	// (0 for a local disk; S3-compatible stores say theirs). Lock confirms
	// after it that no conflicting lock appeared.
	ListLag time.Duration
	// PruneMargin: Prune never deletes a pack, nor drops it from the
	// index, while it is younger than this by the storage's ModTime.
	// 0 = DefaultPruneMargin; negative = no margin (tests).
	PruneMargin time.Duration
	// PruneGrace: a pack Prune finds unused becomes a deletion candidate
	// and is deleted by a later Prune only when it has been one this long.
	// 0 = DefaultPruneGrace; negative = delete at once (tests).
	PruneGrace time.Duration
	// CacheDir is the local cache's base directory: the repository keeps
	// its index files, manifests and trees under CacheDir/repos/<id>
	// (docs/design.md, "Local cache"). "" = no cache.
	CacheDir string

	// kdf overrides the scrypt cost (tests only; zero = crypto.DefaultKDF).
	kdfN int
	// limits overrides the size limits (tests only; nil = defaultLimits).
	limits *limits
}

// DefaultCompression is the zstd level used when Options.Compression is 0:
// level 1 ("fastest") keeps the whole pipeline above 150 MB/s on 2 cores.
const DefaultCompression = 1

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Warn == nil {
		o.Warn = func(string) {}
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
		if o.MachineID == "" {
			o.MachineID = readMachineID()
		}
	}
	if o.Encryption == "" {
		o.Encryption = EncryptionAES
	}
	if o.Compression == 0 {
		o.Compression = DefaultCompression
	}
	o.PruneMargin = orDefault(o.PruneMargin, DefaultPruneMargin)
	o.PruneGrace = orDefault(o.PruneGrace, DefaultPruneGrace)
	return o
}

func (o Options) validate() error {
	switch o.Encryption {
	case EncryptionAES:
		if o.Passphrase == "" {
			return ErrNoPassphrase
		}
	case EncryptionNone, EncryptionAny:
	default:
		return errors.New("unknown encryption " + o.Encryption + ` (want "aes-256-gcm" or "none")`)
	}
	if o.Compression < -1 || o.Compression > 22 {
		return errors.New("compression level must be 1..22, 0 for the default or -1 for none")
	}
	return nil
}
