package export

import (
	"archive/tar"
	"archive/zip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// metaPrefix names the PAX records that keep an entry's Meta.
const metaPrefix = "VELIN.meta."

// writeTar writes the whole tree as one uncompressed tar (so that Open can
// reach a file's content at its offset) into the ZIP entry name.
func writeTar(ctx context.Context, zw *zip.Writer, tree provider.Tree, name string, at time.Time) (File, error) {
	f := File{Name: name}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: at.UTC()})
	if err != nil {
		return f, err
	}
	sw := newSummer(w)
	tw := tar.NewWriter(sw)
	err = tree.Walk(ctx, func(e provider.Entry) error { return tarEntry(ctx, tw, tree, e) })
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		return f, err
	}
	f.Size, f.SHA256 = sw.n, sw.sum()
	return f, nil
}

func tarEntry(ctx context.Context, tw *tar.Writer, tree provider.Tree, e provider.Entry) error {
	h := &tar.Header{Name: e.Path, Mode: tarMode(e.Mode), ModTime: e.ModTime, Uid: int(e.UID), Gid: int(e.GID),
		Format: tar.FormatPAX}
	switch e.Kind {
	case provider.KindDir:
		h.Typeflag, h.Name = tar.TypeDir, e.Path+"/"
	case provider.KindSymlink:
		h.Typeflag, h.Linkname = tar.TypeSymlink, e.Target
	case provider.KindHardlink:
		h.Typeflag, h.Linkname = tar.TypeLink, e.Target
	default:
		h.Typeflag, h.Size = tar.TypeReg, e.Size
	}
	for k, v := range e.Meta {
		if h.PAXRecords == nil {
			h.PAXRecords = map[string]string{}
		}
		h.PAXRecords[metaPrefix+k] = v
	}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("tar %s: %w", e.Path, err)
	}
	if h.Typeflag != tar.TypeReg || e.Size == 0 {
		return nil
	}
	rc, err := tree.Open(ctx, e)
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(tw, rc); err != nil {
		return fmt.Errorf("tar %s: %w", e.Path, err)
	}
	return nil
}

// tarMode is the tar mode of permission and special bits.
func tarMode(m fs.FileMode) int64 {
	v := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		v |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return v
}

func fileMode(v int64) fs.FileMode {
	m := fs.FileMode(v) & fs.ModePerm
	if v&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if v&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if v&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// tarTree is a source kept as tree.tar: Walk reads the tar headers; Open
// reads a file's content at its offset.
type tarTree struct {
	ra   io.ReaderAt // the plaintext ZIP
	base int64       // the tar's offset in it
	size int64
}

// span is the Handle of a tar file entry: where its content is.
type span struct{ off, n int64 }

// offsetReader tracks the position, so that after tar.Reader.Next it is
// the entry's content offset (tar.Reader reads no further). It seeks, so
// that tar.Reader skips a file's content instead of reading it (an export
// in S3 would be downloaded twice).
type offsetReader struct {
	r   *io.SectionReader
	pos int64
}

func (o *offsetReader) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	o.pos += int64(n)
	return n, err
}

func (o *offsetReader) Seek(offset int64, whence int) (int64, error) {
	pos, err := o.r.Seek(offset, whence)
	if err == nil {
		o.pos = pos
	}
	return pos, err
}

func (t *tarTree) Walk(ctx context.Context, fn func(provider.Entry) error) error {
	or := &offsetReader{r: io.NewSectionReader(t.ra, t.base, t.size)}
	tr := tar.NewReader(or)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		e, err := tarToEntry(h)
		if err != nil {
			return err
		}
		if e.Kind == provider.KindFile {
			e.Handle = span{off: t.base + or.pos, n: h.Size}
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

func tarToEntry(h *tar.Header) (provider.Entry, error) {
	e := provider.Entry{Path: strings.TrimSuffix(h.Name, "/"), Mode: fileMode(h.Mode), ModTime: h.ModTime,
		UID: uint32(h.Uid), GID: uint32(h.Gid)}
	switch h.Typeflag {
	case tar.TypeDir:
		e.Kind = provider.KindDir
	case tar.TypeSymlink:
		e.Kind, e.Target = provider.KindSymlink, h.Linkname
	case tar.TypeLink:
		e.Kind, e.Target = provider.KindHardlink, h.Linkname
	case tar.TypeReg:
		e.Kind, e.Size = provider.KindFile, h.Size
	default:
		return e, fmt.Errorf("read tar: %s: entry type %q: %w", h.Name, h.Typeflag, ErrDamaged)
	}
	for k, v := range h.PAXRecords {
		if name, ok := strings.CutPrefix(k, metaPrefix); ok {
			if e.Meta == nil {
				e.Meta = map[string]string{}
			}
			e.Meta[name] = v
		}
	}
	return e, nil
}

func (t *tarTree) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	sp, ok := e.Handle.(span)
	if !ok || sp.off < t.base || sp.off+sp.n > t.base+t.size {
		return nil, fmt.Errorf("open %s: not an entry of this export", e.Path)
	}
	return io.NopCloser(io.NewSectionReader(t.ra, sp.off, sp.n)), nil
}
