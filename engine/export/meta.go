package export

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

// metaName is the file beside tree.tar that lists the velin metadata of
// its entries (a bucket object's content type, user metadata and tags),
// so that a restore by hand can set them again: tree.tar keeps them too,
// as PAX records, which tar does not apply.
const metaName = "meta.jsonl"

// metaLine is one line of meta.jsonl.
type metaLine struct {
	Path string            `json:"path"` // as in tree.tar
	Meta map[string]string `json:"meta"`
}

// writeMeta writes meta.jsonl (uncompressed, as tree.tar, so that any
// reader of format 1 accepts it) from a second walk of the tree, one
// line per entry with metadata; ok is false when no entry has any, and
// then nothing is written.
func writeMetaLines(ctx context.Context, zw *zip.Writer, tree provider.Tree, name string, at time.Time) (File, bool, error) {
	f := File{Name: name}
	has := false
	err := tree.Walk(ctx, func(e provider.Entry) error {
		if len(e.Meta) > 0 {
			has = true
			return errStop
		}
		return nil
	})
	if err != nil && err != errStop || !has {
		return f, false, err
	}
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: at.UTC()})
	if err != nil {
		return f, false, err
	}
	sw := newSummer(w)
	enc := json.NewEncoder(sw)
	enc.SetEscapeHTML(false)
	err = tree.Walk(ctx, func(e provider.Entry) error {
		if len(e.Meta) == 0 {
			return nil
		}
		return enc.Encode(metaLine{Path: e.Path, Meta: e.Meta})
	})
	if err != nil {
		return f, false, fmt.Errorf("%s: %w", name, err)
	}
	f.Size, f.SHA256 = sw.n, sw.sum()
	return f, true, nil
}
