package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/velinhq/velin/engine/storage"
)

// ErrNoExport says a folder holds no export.
var ErrNoExport = errors.New("no export there")

// OpenStorage opens the export placed by hand in folder dir of st (the
// top-level folder "ID" of a bucket): either one ZIP, "dir/NAME.zip", or
// the files of an unpacked export ("dir/manifest.toml",
// "dir/snapshot.json", "dir/postgres.app/app.sql", …). Contents are read
// from st as they are needed, never copied whole. passphrase is asked
// only for an encrypted ZIP. ctx is used by every later read of the
// Archive, so it must outlive it.
func OpenStorage(ctx context.Context, st storage.Storage, dir string, passphrase func() (string, error)) (*Archive, error) {
	dir = strings.Trim(dir, "/")
	where := within(st.Location(), dir+"/")
	objs := map[string]int64{}
	err := st.List(ctx, dir+"/", func(o storage.ObjectInfo) error {
		objs[strings.TrimPrefix(o.Name, dir+"/")] = o.Size
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open export %s: %w", where, err)
	}
	if _, ok := objs[manifestName]; ok {
		return openUnpacked(ctx, st, dir, where, objs)
	}
	var zips []string
	for name := range objs {
		if !strings.Contains(name, "/") && strings.HasSuffix(strings.ToLower(name), ".zip") {
			zips = append(zips, name)
		}
	}
	slices.Sort(zips)
	switch len(zips) {
	case 0:
		return nil, fmt.Errorf("open export %s: %w: put the export's ZIP there (%s/NAME.zip) or its unpacked files (%s/%s, …)",
			where, ErrNoExport, dir, dir, manifestName)
	case 1:
	default:
		return nil, fmt.Errorf("open export %s: %d ZIP files (%s): leave one", where, len(zips), strings.Join(zips, ", "))
	}
	name := dir + "/" + zips[0]
	ra := newObjectReaderAt(ctx, st, name, objs[zips[0]])
	pass := ""
	head := make([]byte, len(ageMagic))
	if n, _ := ra.ReadAt(head, 0); n == len(head) && string(head) == ageMagic {
		if pass, err = passphrase(); err != nil {
			return nil, err
		}
	}
	return Open(ra, objs[zips[0]], within(st.Location(), name), pass)
}

// within names object name of a storage: "s3:backup/ID/ at ENDPOINT"
// from "s3:backup at ENDPOINT".
func within(loc, name string) string {
	for _, sep := range []string{" at ", " in "} {
		if head, tail, ok := strings.Cut(loc, sep); ok && strings.HasPrefix(head, "s3:") {
			return head + "/" + name + sep + tail
		}
	}
	return loc + "/" + name
}

// openUnpacked opens the objects of an unpacked export.
func openUnpacked(ctx context.Context, st storage.Storage, dir, where string, objs map[string]int64) (*Archive, error) {
	a := &Archive{name: where, files: map[string]member{}}
	for name, size := range objs {
		a.files[name] = &objMember{ctx: ctx, st: st, name: dir + "/" + name, n: size}
	}
	return a.load()
}

// objMember is an object of an unpacked export.
type objMember struct {
	ctx  context.Context
	st   storage.Storage
	name string
	n    int64

	once sync.Once
	ra   *objectReaderAt // one per object, so its open reads are shared
}

func (m *objMember) size() int64                  { return m.n }
func (m *objMember) open() (io.ReadCloser, error) { return m.st.Get(m.ctx, m.name) }

func (m *objMember) stored() (io.ReaderAt, int64, bool) {
	m.once.Do(func() { m.ra = newObjectReaderAt(m.ctx, m.st, m.name, m.n) })
	return m.ra, 0, true
}
