package repo

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/velinhq/velin/engine/repo/crypto"
	"github.com/velinhq/velin/engine/repo/diskcache"
	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/storage"
)

// Chunker parameters of new repositories (see docs/design.md).
const (
	chunkerAlgorithm = "fastcdc-v1.0.0"
	chunkMin         = 16 << 10
	chunkNormal      = 64 << 10
	chunkMax         = 256 << 10
	formatVersion    = 1
)

// config is the plaintext object "config".
type config struct {
	Version      int           `json:"version"`
	ID           string        `json:"id"`
	Encryption   string        `json:"encryption"`
	Compression  string        `json:"compression"`
	Chunker      chunkerConfig `json:"chunker"`
	ChunkerKeyID string        `json:"chunker_key_id,omitempty"`
}

type chunkerConfig struct {
	Algorithm  string `json:"algorithm"`
	MinSize    int    `json:"min_size"`
	NormalSize int    `json:"normal_size"`
	MaxSize    int    `json:"max_size"`
}

// Repository is an open repository. It is safe for concurrent use.
type Repository struct {
	st   storage.Storage
	key  *crypto.Key
	cfg  config
	opts Options
	// keyName is the key file that opened the repository ("" unencrypted).
	keyName string
	idx     *index.Master
	enc     *zstd.Encoder // nil when compression is off
	dec     *zstd.Decoder

	packSize  int         // pack target size (packTarget; smaller in tests)
	lim       limits      // size limits of blobs, trees and lists (smaller in tests)
	lockTimes lockTimes   // refresh period, timeout and loss of held locks
	lockLost  atomic.Bool // a held lock was lost: no more commits, forgets or prunes
	chunkers  sync.Pool   // of *chunkers.Chunker with their scan buffers
	readBufs  sync.Pool   // of *[]byte for restores (getBuf, putBuf)
	runBufs   sync.Pool   // of *[]byte of runMax for coalesced reads
	spans     budget      // bytes of span reads ahead in flight (readBudget)
	packBufs  sync.Pool   // of *[]byte pack buffers between write pipelines (pipeline.close)
	windows   windows     // small runs' shared reads (windows.go)
	trees     *treeCache

	pidSpace string         // this process's boot id and pid namespace (lockhost.go)
	heldMu   sync.Mutex     // guards held
	held     map[*Lock]bool // locks held now, checked by lockOK

	condMu sync.Mutex
	cond   conditional // whether the storage honours IfAbsent (probed at the first Flush)

	mu         sync.Mutex
	indexes    map[string]bool      // index object names loaded into idx
	badIndexes map[string]string    // damaged index object names → why (skipped)
	manifests  map[string]*Manifest // snapshot id → decoded manifest (immutable)

	// The last listing of snapshots/ (recentSnapshotIDs), guarded by mu.
	snapRecent   []string
	snapRecentAt time.Time // when it started
	snapGen      int       // counts forgetRecentSnapshots calls
	// fresh: this Repository created the repository and has not tried a
	// lock since (created, takeFresh), guarded by mu.
	fresh bool

	cache  *diskcache.Cache                         // the local cache (nil: none; cache.go)
	listed map[string]map[string]storage.ObjectInfo // last listing of index/ and snapshots/ (with a cache)
}

// Exists reports whether st holds a repository (a config object).
func Exists(ctx context.Context, st storage.Storage) (bool, error) {
	_, err := st.Stat(ctx, "config")
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat config: %w", err)
	}
	return true, nil
}

// Init creates a repository on st. It fails with ErrRepositoryExists when
// st already holds one.
func Init(ctx context.Context, st storage.Storage, o Options) (*Repository, error) {
	return initChecked(ctx, st, o, true)
}

// InitAfterOpen is Init for a storage that Open found without a repository
// moments ago (ErrNoRepository: no config, and no objects under keys/,
// snapshots/, index/ or data/). It checks again that there is no config,
// not the four prefixes: 4 listings fewer for a first backup.
func InitAfterOpen(ctx context.Context, st storage.Storage, o Options) (*Repository, error) {
	return initChecked(ctx, st, o, false)
}

func initChecked(ctx context.Context, st storage.Storage, o Options, leftovers bool) (*Repository, error) {
	o, err := prepareInit(ctx, st, o, leftovers)
	if err != nil {
		return nil, err
	}
	key, err := newKey(o)
	if err != nil {
		return nil, err
	}
	return initWith(ctx, st, o, key, chunkerConfig{Algorithm: chunkerAlgorithm, MinSize: chunkMin, NormalSize: chunkNormal, MaxSize: chunkMax})
}

// initWith writes the key file and config of a new repository with key
// and chunker parameters ch. The caller checked that st holds none.
func initWith(ctx context.Context, st storage.Storage, o Options, key *crypto.Key, ch chunkerConfig) (*Repository, error) {
	cfg := config{
		Version: formatVersion, ID: randomName(), Encryption: o.Encryption, Compression: "zstd",
		Chunker: ch, ChunkerKeyID: key.KeyID(),
	}
	keyName := ""
	if key.Encrypted() {
		keyName = initKeyName(cfg.ID)
		if err := writeKeyFile(ctx, st, keyName, key, o); err != nil {
			return nil, err
		}
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	if err := putBytes(ctx, st, "config", data, true); err != nil {
		if keyName != "" {
			st.Delete(context.WithoutCancel(ctx), keyName) // our key belongs to no repository
		}
		if errors.Is(err, storage.ErrExists) {
			err = ErrRepositoryExists // another process initialised it first
		}
		return nil, fmt.Errorf("init %s: %w", st.Location(), err)
	}
	cond := probeWithConfig(ctx, st, data)
	r, err := newRepository(st, key, cfg, o)
	if r != nil {
		r.keyName = keyName
		r.created(cond)
	}
	return r, err
}

// prepareInit checks the options of a new repository and that st holds
// none (nor, when leftovers is set, leftovers of one).
func prepareInit(ctx context.Context, st storage.Storage, o Options, leftovers bool) (Options, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return o, err
	}
	if o.Encryption == EncryptionAny {
		return o, fmt.Errorf("init %s: say which encryption a new repository gets", st.Location())
	}
	if ok, err := Exists(ctx, st); err != nil || ok {
		if err == nil {
			err = ErrRepositoryExists
		}
		return o, fmt.Errorf("init %s: %w", st.Location(), err)
	}
	if !leftovers {
		return o, nil
	}
	if err := refuseLeftovers(ctx, st); err != nil {
		return o, fmt.Errorf("init %s: %w", st.Location(), err)
	}
	return o, nil
}

// InitCopyTarget creates a repository on st to receive copies of src's
// snapshots: it shares src's chunker parameters (sizes, chunker and id
// keys), so a copy sends src's chunks as they are, but has its own
// encryption key and passphrase (o). When src and o differ in whether they
// encrypt there is nothing to share and it is an ordinary Init (a copy
// re-chunks).
func InitCopyTarget(ctx context.Context, st storage.Storage, o Options, src *Repository) (*Repository, error) {
	o, err := prepareInit(ctx, st, o, true)
	if err != nil {
		return nil, err
	}
	if (o.Encryption == EncryptionNone) != !src.key.Encrypted() {
		return Init(ctx, st, o)
	}
	key := crypto.None()
	if src.key.Encrypted() {
		if key, err = crypto.NewKeySharingChunker(src.key); err != nil {
			return nil, err
		}
	}
	return initWith(ctx, st, o, key, src.cfg.Chunker)
}

func newKey(o Options) (*crypto.Key, error) {
	if o.Encryption == EncryptionNone {
		return crypto.None(), nil
	}
	return crypto.NewKey()
}

// initKeyName is the name of the key file Init writes: derived from the
// repository id, so that Open finds it with Get while a lagging listing
// still hides it. Keys added later have random names.
func initKeyName(repoID string) string { return "keys/" + repoID }

// writeKeyFile stores key sealed with the passphrase under name.
func writeKeyFile(ctx context.Context, st storage.Storage, name string, key *crypto.Key, o Options) error {
	p := crypto.DefaultKDF()
	if o.kdfN != 0 {
		p.N = o.kdfN
	}
	kf, err := crypto.NewKeyFile(key, o.Passphrase, o.Host, o.Clock(), p)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	if err := putBytes(ctx, st, name, data, true); err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	return nil
}

// Open opens the repository on st: ErrNoRepository when there is none,
// ErrWrongPassphrase when no key opens with the passphrase. Errors do not
// name the location: the caller says which repository it opened.
func Open(ctx context.Context, st storage.Storage, o Options) (*Repository, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	cfg, err := readConfig(ctx, st)
	if err != nil {
		return nil, err
	}
	if o.Encryption != EncryptionAny && cfg.Encryption != o.Encryption {
		return nil, fmt.Errorf("repository encryption is %q, configured %q: %w",
			cfg.Encryption, o.Encryption, ErrEncryptionMismatch)
	}
	key, keyName := crypto.None(), ""
	if cfg.Encryption == EncryptionAES {
		if o.Passphrase == "" {
			return nil, ErrNoPassphrase
		}
		if key, keyName, err = unlock(ctx, st, o.Passphrase, cfg); err != nil {
			return nil, err
		}
	}
	r, err := newRepository(st, key, cfg, o)
	if err != nil {
		return nil, err
	}
	r.keyName = keyName
	if err := r.loadIndexes(ctx); err != nil {
		return nil, err
	}
	r.syncTreeCache()
	return r, nil
}

// OpenOrInit opens the repository, or creates it when st holds none.
func OpenOrInit(ctx context.Context, st storage.Storage, o Options) (*Repository, bool, error) {
	r, err := Open(ctx, st, o)
	if !errors.Is(err, ErrNoRepository) {
		return r, false, err
	}
	r, err = InitAfterOpen(ctx, st, o)
	if errors.Is(err, ErrRepositoryExists) {
		r, err = Open(ctx, st, o) // lost a race with another init
		return r, false, err
	}
	return r, err == nil, err
}

func readConfig(ctx context.Context, st storage.Storage) (config, error) {
	var cfg config
	data, err := getBytes(ctx, st, "config")
	if errors.Is(err, storage.ErrNotFound) {
		if err := refuseLeftovers(ctx, st); err != nil {
			return cfg, err
		}
		return cfg, ErrNoRepository
	}
	if err != nil {
		return cfg, fmt.Errorf("read config: %w", err)
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("read config: %w", err)
	}
	if cfg.Version != formatVersion {
		return cfg, fmt.Errorf("read config: unsupported repository version %d", cfg.Version)
	}
	c := cfg.Chunker
	if c.Algorithm != chunkerAlgorithm || c.MinSize < 64 || c.MinSize >= c.NormalSize || c.NormalSize >= c.MaxSize || c.MaxSize > 16<<20 {
		return cfg, fmt.Errorf("read config: unsupported chunker %+v", c)
	}
	return cfg, nil
}

// refuseLeftovers fails with ErrConfigMissing when st has no config but
// holds objects of a repository: writing a new key and config there would
// make the old data unreadable. Locks are not looked at: they are not data.
// One listing of everything, stopped at the first object, says whether
// there is anything at all: a new repository's location is empty, so it
// costs one request instead of one per prefix.
func refuseLeftovers(ctx context.Context, st storage.Storage) error {
	for _, prefix := range []string{"", "keys/", "snapshots/", "index/", "data/"} {
		found, err := holdsAny(ctx, st, prefix)
		if err != nil {
			return fmt.Errorf("list %s: %w", cmp.Or(prefix, "objects"), err)
		}
		switch {
		case prefix == "" && !found:
			return nil
		case prefix != "" && found:
			return fmt.Errorf("%w: it has objects under %s", ErrConfigMissing, prefix)
		}
	}
	return nil
}

// holdsAny reports whether st lists an object under prefix.
func holdsAny(ctx context.Context, st storage.Storage, prefix string) (bool, error) {
	errFound := errors.New("found")
	err := st.List(ctx, prefix, func(storage.ObjectInfo) error { return errFound })
	if errors.Is(err, errFound) {
		return true, nil
	}
	return false, err
}

// unlock finds the key file that opens with passphrase and belongs to the
// repository (its key id is cfg.ChunkerKeyID); key files of a lost init
// race or of another repository are passed over. The listing may lag
// behind a repository just created by another process, so Init's key file
// is tried by name when it is not listed.
func unlock(ctx context.Context, st storage.Storage, passphrase string, cfg config) (*crypto.Key, string, error) {
	var names []string
	err := st.List(ctx, "keys/", func(oi storage.ObjectInfo) error {
		names = append(names, oi.Name)
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("list keys: %w", err)
	}
	if _, err := pack.ParseID(cfg.ID); err == nil && !slices.Contains(names, initKeyName(cfg.ID)) {
		names = append(names, initKeyName(cfg.ID))
	}
	wantID := cfg.ChunkerKeyID
	for _, name := range names {
		data, err := getBytes(ctx, st, name)
		if errors.Is(err, storage.ErrNotFound) {
			continue // removed meanwhile (velin key remove)
		}
		if err != nil {
			return nil, "", fmt.Errorf("read %s: %w", name, err)
		}
		var kf crypto.KeyFile
		if err := json.Unmarshal(data, &kf); err != nil {
			continue // a damaged key file does not hide the others
		}
		key, err := kf.Unlock(passphrase)
		if err == nil && key.KeyID() == wantID {
			return key, name, nil
		}
	}
	return nil, "", ErrWrongPassphrase
}

func newRepository(st storage.Storage, key *crypto.Key, cfg config, o Options) (*Repository, error) {
	r := &Repository{st: st, key: key, cfg: cfg, opts: o, idx: index.NewMaster(),
		indexes: map[string]bool{}, badIndexes: map[string]string{}, manifests: map[string]*Manifest{}, packSize: packTarget,
		listed: map[string]map[string]storage.ObjectInfo{},
		trees:  newTreeCache(treeCacheBytes), lim: defaultLimits(), lockTimes: lockTimesFor(o.LockLease),
		pidSpace: pidSpace()}
	if o.limits != nil {
		r.lim = *o.limits
	}
	if err := r.lim.check(); err != nil {
		return nil, err
	}
	r.openCache()
	var err error
	if o.Compression > 0 {
		r.enc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(o.Compression)),
			zstd.WithEncoderCRC(false), zstd.WithEncoderConcurrency(runtime.NumCPU()), zstd.WithLowerEncoderMem(true))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
	}
	r.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(runtime.NumCPU()), zstd.WithDecoderMaxMemory(uint64(r.lim.blobRaw)))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return r, nil
}

// Close releases the repository's resources. Locks are released separately.
func (r *Repository) Close() error {
	if r.enc != nil {
		_ = r.enc.Close()
	}
	r.dec.Close()
	return nil
}

// Location describes where the repository is (no secrets).
func (r *Repository) Location() string { return r.st.Location() }
