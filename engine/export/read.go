package export

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"filippo.io/age"
	"github.com/BurntSushi/toml"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/provider"
)

// Errors of Open and Verify.
var (
	ErrDamaged     = errors.New("the export is damaged or truncated")
	ErrWrongKey    = errors.New("wrong passphrase for this export")
	ErrNeedKey     = errors.New("the export is encrypted: give its passphrase")
	ErrNewerFormat = errors.New("the export was written by a newer velin")
)

// maxMeta bounds manifest.toml and snapshot.json.
const maxMeta = 64 << 20

const ageMagic = "age-encryption.org/v1\n"

// Archive is an export opened for reading (a ZIP, or the files of an
// unpacked one); it is safe for concurrent use.
type Archive struct {
	name  string
	files map[string]member // by name in the ZIP
	man   *Manifest
	snap  *repo.Manifest
	// Encrypted says whether the file was age-encrypted.
	Encrypted bool
}

// Open reads an export's directory and manifests from ra (size bytes;
// name only for messages). passphrase may be "" for a plain ZIP.
func Open(ra io.ReaderAt, size int64, name, passphrase string) (*Archive, error) {
	a := &Archive{name: name}
	head := make([]byte, len(ageMagic))
	if n, _ := ra.ReadAt(head, 0); n == len(head) && string(head) == ageMagic {
		var err error
		if ra, size, err = decrypt(ra, size, passphrase); err != nil {
			return nil, fmt.Errorf("open %s: %w", name, err)
		}
		a.Encrypted = true
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("open %s: not a complete ZIP (%v): %w", name, err, ErrDamaged)
	}
	a.files = map[string]member{}
	for _, f := range zr.File {
		a.files[f.Name] = zipMember{f: f, ra: ra}
	}
	return a.load()
}

// load reads and checks the manifests of a's files.
func (a *Archive) load() (*Archive, error) {
	if err := a.readManifests(); err != nil {
		return nil, fmt.Errorf("open %s: %w", a.name, err)
	}
	return a, nil
}

func decrypt(ra io.ReaderAt, size int64, passphrase string) (io.ReaderAt, int64, error) {
	if passphrase == "" {
		return nil, 0, ErrNeedKey
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, 0, err
	}
	pra, psize, err := age.DecryptReaderAt(ra, size, id)
	var nm *age.NoIdentityMatchError
	switch {
	case errors.As(err, &nm):
		return nil, 0, ErrWrongKey
	case err != nil:
		return nil, 0, fmt.Errorf("decrypt (%v): %w", err, ErrDamaged)
	}
	return pra, psize, nil
}

func (a *Archive) readManifests() error {
	raw, err := a.readSmall(manifestName)
	if err != nil {
		return err
	}
	var probe struct {
		Format int `toml:"format"`
	}
	if _, err := toml.Decode(string(raw), &probe); err != nil {
		return fmt.Errorf("%s: %v: %w", manifestName, err, ErrDamaged)
	}
	if probe.Format > FormatVersion {
		return fmt.Errorf("format %d, this velin reads up to %d: upgrade velin: %w", probe.Format, FormatVersion, ErrNewerFormat)
	}
	if probe.Format < 1 {
		return fmt.Errorf("%s: no format version: %w", manifestName, ErrDamaged)
	}
	a.man = &Manifest{}
	if _, err := toml.Decode(string(raw), a.man); err != nil {
		return fmt.Errorf("%s: %v: %w", manifestName, err, ErrDamaged)
	}
	raw, err = a.readSmall(snapshotName)
	if err != nil {
		return err
	}
	a.snap = &repo.Manifest{}
	if err := json.Unmarshal(raw, a.snap); err != nil || a.snap.ID != a.man.Snapshot {
		return fmt.Errorf("%s does not match %s: %w", snapshotName, manifestName, ErrDamaged)
	}
	return a.checkSources()
}

// checkSources checks that every source of the snapshot is in the manifest
// and every entry it lists is in the ZIP, so that nothing starts a restore
// that cannot finish.
func (a *Archive) checkSources() error {
	for _, sm := range a.snap.Sources {
		s := a.source(sm.Key)
		if s == nil {
			return fmt.Errorf("source %s is missing: %w", sm.Key, ErrDamaged)
		}
		for _, f := range s.Entries {
			zf := a.files[f.Name]
			if zf == nil || zf.size() != f.Size {
				return fmt.Errorf("entry %s is missing or has the wrong size: %w", f.Name, ErrDamaged)
			}
			if _, _, ok := zf.stored(); s.Layout == LayoutTar && !ok {
				return fmt.Errorf("entry %s is compressed or unreadable: %w", f.Name, ErrDamaged)
			}
			if f.Format != "" && f.Format != formatRESP && f.Format != formatZstdEntry {
				return fmt.Errorf("entry %s has format %q, unknown to this velin: %w", f.Name, f.Format, ErrNewerFormat)
			}
		}
	}
	return nil
}

func (a *Archive) readSmall(name string) ([]byte, error) {
	f := a.files[name]
	if f == nil {
		return nil, fmt.Errorf("no %s: %w", name, ErrDamaged)
	}
	rc, err := f.open()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %w", name, err, ErrDamaged)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxMeta+1))
	if err != nil || len(b) > maxMeta {
		return nil, fmt.Errorf("%s: %v: %w", name, err, ErrDamaged)
	}
	return b, nil
}

func (a *Archive) source(key string) *Source {
	for i := range a.man.Sources {
		if a.man.Sources[i].Key == key {
			return &a.man.Sources[i]
		}
	}
	return nil
}

// Manifest returns the export's manifest.toml.
func (a *Archive) Manifest() *Manifest { return a.man }

// Snapshot returns the snapshot's repository manifest.
func (a *Archive) Snapshot() *repo.Manifest { return a.snap }

// Location describes the export for messages.
func (a *Archive) Location() string { return "export " + a.name }

// Verify reads every entry once and checks its size and SHA-256 against
// the manifest (and the ZIP's CRC-32; age authenticates every chunk): an
// error names the first damaged entry.
func (a *Archive) Verify(ctx context.Context) error {
	for _, s := range a.man.Sources {
		for _, f := range s.Entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := a.verifyEntry(f); err != nil {
				return fmt.Errorf("verify %s: %w", a.name, err)
			}
		}
	}
	return nil
}

func (a *Archive) verifyEntry(f File) error {
	rc, err := a.files[f.Name].open()
	if err != nil {
		return fmt.Errorf("%s: %v: %w", f.Name, err, ErrDamaged)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return fmt.Errorf("%s: %v: %w", f.Name, err, ErrDamaged)
	}
	if n != f.Size || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("%s: checksum mismatch: %w", f.Name, ErrDamaged)
	}
	return nil
}

// Tree implements the snapshot reader restore and import use.
func (a *Archive) Tree(ctx context.Context, m *repo.Manifest, key string) (provider.Tree, error) {
	s := a.source(key)
	if s == nil || m.ID != a.snap.ID {
		return nil, fmt.Errorf("%s has no source %s of snapshot %s", a.name, key, m.ID)
	}
	if s.Layout == LayoutTar {
		zf := a.files[s.Entries[0].Name]
		ra, off, ok := zf.stored()
		if !ok {
			return nil, fmt.Errorf("%s: unreadable: %w", s.Entries[0].Name, ErrDamaged)
		}
		return &tarTree{ra: ra, base: off, size: zf.size()}, nil
	}
	return &fileTree{a: a, s: s}, nil
}

// fileTree is a source kept as top-level files.
type fileTree struct {
	a *Archive
	s *Source
}

func (t *fileTree) Walk(ctx context.Context, fn func(provider.Entry) error) error {
	files := slices.Clone(t.s.Entries)
	slices.SortFunc(files, func(x, y File) int { return strings.Compare(x.Path, y.Path) })
	for _, f := range files {
		size := f.Size
		if f.Format != "" {
			size = f.EntrySize
		}
		e := provider.Entry{Path: f.Path, Kind: provider.KindFile, Mode: fileMode(int64(f.Mode)), ModTime: f.Mtime,
			Size: size, Meta: f.Meta, Handle: f}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (t *fileTree) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	f, ok := e.Handle.(File)
	if !ok || t.a.files[f.Name] == nil {
		return nil, fmt.Errorf("open %s: not an entry of this export", e.Path)
	}
	rc, err := t.a.files[f.Name].open()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", e.Path, err)
	}
	switch f.Format {
	case formatZstdEntry:
		return newZstdReader(rc)
	case formatRESP:
	default:
		return rc, nil
	}
	pr, pw := io.Pipe()
	go func() {
		err := fromRESP(pw, rc)
		rc.Close()
		pw.CloseWithError(err)
	}()
	return pr, nil
}
