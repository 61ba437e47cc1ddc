package export

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/BurntSushi/toml"
	"github.com/klauspost/compress/flate"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/provider"
)

// Trees gives the trees of a snapshot's sources (a *repo.Repository does).
type Trees interface {
	Tree(ctx context.Context, m *repo.Manifest, sourceKey string) (provider.Tree, error)
}

// Options say how to write an export.
type Options struct {
	Passphrase string // the age scrypt passphrase; required unless Plain
	Plain      bool   // write the ZIP unencrypted
	Version    string // this velin's version, recorded as exported_by
	Now        time.Time
	// WorkFactor is age's scrypt work factor (log2 N); 0 is age's default
	// (18, about a second). Tests lower it.
	WorkFactor int
	// Compress is "" (SQL dumps deflated by the ZIP) or CompressZstd:
	// every "<db>.sql" of a database source becomes "<db>.sql.zst",
	// stored as it is in the ZIP, which `zstd -d` opens.
	Compress string
}

// CompressZstd is Options.Compress for zstd-compressed SQL dumps.
const CompressZstd = "zstd"

// Write streams snapshot m read from src into dst as one ZIP (encrypted
// unless opts.Plain) and returns the manifest it wrote. dst is not closed.
// On error dst holds an incomplete file that Open refuses.
func Write(ctx context.Context, dst io.Writer, src Trees, m *repo.Manifest, opts Options) (*Manifest, error) {
	if opts.Compress != "" && opts.Compress != CompressZstd {
		return nil, fmt.Errorf("export: compression %q: velin knows %q", opts.Compress, CompressZstd)
	}
	out, closeAge, err := encrypter(dst, opts)
	if err != nil {
		return nil, err
	}
	zw := zip.NewWriter(out)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, 5) })
	man := &Manifest{Format: formatBase, Snapshot: m.ID, Time: m.Time, VelinVersion: m.VelinVersion,
		ExportedBy: opts.Version, ExportedAt: opts.Now.UTC()}
	for i := range m.Sources {
		s, err := writeSource(ctx, zw, src, m, &m.Sources[i], opts.Compress)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", m.Sources[i].Key, err)
		}
		man.Sources = append(man.Sources, s)
		if s.usesZstd() {
			man.Format = formatZstd // older velins refuse the file instead of misreading it
		}
	}
	if err := writeMeta(zw, m, man); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if err := closeAge(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return man, nil
}

func encrypter(dst io.Writer, opts Options) (io.Writer, func() error, error) {
	if opts.Plain {
		return dst, func() error { return nil }, nil
	}
	if opts.Passphrase == "" {
		return nil, nil, errors.New("export: no passphrase (or say --plain)")
	}
	rcp, err := age.NewScryptRecipient(opts.Passphrase)
	if err != nil {
		return nil, nil, fmt.Errorf("export: %w", err)
	}
	if opts.WorkFactor > 0 {
		rcp.SetWorkFactor(opts.WorkFactor)
	}
	w, err := age.Encrypt(dst, rcp)
	if err != nil {
		return nil, nil, fmt.Errorf("export: %w", err)
	}
	return w, w.Close, nil
}

func writeMeta(zw *zip.Writer, m *repo.Manifest, man *Manifest) error {
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	w, err := zw.Create(snapshotName)
	if err == nil {
		_, err = w.Write(js)
	}
	if err == nil {
		w, err = zw.Create(manifestName)
	}
	if err == nil {
		err = toml.NewEncoder(w).Encode(man)
	}
	if err != nil {
		return fmt.Errorf("export manifest: %w", err)
	}
	return nil
}

func writeSource(ctx context.Context, zw *zip.Writer, src Trees, m *repo.Manifest, sm *repo.SourceManifest, compress string) (Source, error) {
	s := Source{Key: sm.Key, Type: sm.Type, Identity: sm.Identity, ServerVersion: sm.ServerVersion,
		Files: sm.Files, Bytes: sm.Bytes}
	if strings.ContainsAny(sm.Key, "/\\") || sm.Key == "" || sm.Key == "." || sm.Key == ".." {
		return s, fmt.Errorf("source key %q cannot name a folder", sm.Key)
	}
	tree, err := src.Tree(ctx, m, sm.Key)
	if err != nil {
		return s, err
	}
	flat, entries, err := topFiles(ctx, tree)
	if err != nil {
		return s, err
	}
	if flat {
		s.Layout = LayoutFiles
		for _, e := range entries {
			f, err := writeFile(ctx, zw, tree, sm, e, compress)
			if err != nil {
				return s, err
			}
			s.Entries = append(s.Entries, f)
		}
		return s, nil
	}
	s.Layout = LayoutTar
	f, err := writeTar(ctx, zw, tree, sm.Key+"/"+tarName, m.Time)
	s.Entries = append(s.Entries, f)
	if err != nil {
		return s, err
	}
	f, ok, err := writeMetaLines(ctx, zw, tree, sm.Key+"/"+metaName, m.Time)
	if ok {
		s.Entries = append(s.Entries, f)
	}
	return s, err
}

// maxFlat is how many top-level files a source may have to keep them as
// ZIP entries of their own (a database source has a few); more, or any
// directory or link, makes it a tar.
const maxFlat = 1000

var (
	errNotFlat = errors.New("not flat")
	errStop    = errors.New("stop") // ends a walk early
)

// topFiles returns the entries when all are top-level files.
func topFiles(ctx context.Context, tree provider.Tree) (bool, []provider.Entry, error) {
	var out []provider.Entry
	err := tree.Walk(ctx, func(e provider.Entry) error {
		if e.Kind != provider.KindFile || strings.Contains(e.Path, "/") || len(out) == maxFlat {
			return errNotFlat
		}
		out = append(out, e)
		return nil
	})
	if errors.Is(err, errNotFlat) {
		return false, nil, nil
	}
	return err == nil, out, err
}

// summer counts and hashes what goes through it.
type summer struct {
	w io.Writer
	h hash.Hash
	n int64
}

func newSummer(w io.Writer) *summer { return &summer{w: w, h: sha256.New()} }

func (s *summer) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	s.h.Write(p[:n])
	s.n += int64(n)
	return n, err
}

func (s *summer) sum() string { return hex.EncodeToString(s.h.Sum(nil)) }

func writeFile(ctx context.Context, zw *zip.Writer, tree provider.Tree, sm *repo.SourceManifest, e provider.Entry, compress string) (File, error) {
	f := File{Name: sm.Key + "/" + e.Path, Path: e.Path, Mode: uint32(e.Mode.Perm()), Mtime: e.ModTime.UTC(), Meta: e.Meta}
	method := zip.Deflate
	switch {
	case sm.Type == "redis" && strings.HasSuffix(e.Path, redisSuffix):
		f.Name = strings.TrimSuffix(f.Name, redisSuffix) + respSuffix
		f.Format, f.EntrySize = formatRESP, e.Size
	case compress == CompressZstd && strings.HasSuffix(e.Path, sqlSuffix):
		f.Name += zstdSuffix
		f.Format, f.EntrySize, method = formatZstdEntry, e.Size, zip.Store
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: method, Modified: f.Mtime})
	if err != nil {
		return f, err
	}
	rc, err := tree.Open(ctx, e)
	if err != nil {
		return f, err
	}
	defer rc.Close()
	sw := newSummer(w)
	switch f.Format {
	case formatRESP:
		err = toRESP(sw, rc)
	case formatZstdEntry:
		err = toZstd(sw, rc)
	default:
		_, err = io.Copy(sw, rc)
	}
	if err != nil {
		return f, fmt.Errorf("%s: %w", e.Path, err)
	}
	f.Size, f.SHA256 = sw.n, sw.sum()
	return f, nil
}
