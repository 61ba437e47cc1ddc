package bucket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/velinhq/velin/providers/provider"
)

// errEscape refuses an entry path that would leave the directory.
var errEscape = errors.New("path would leave the restore directory")

// restoreDir writes each object (of opts.Include) to opts.To/PATH, PATH
// its entry path (BUCKET/KEY, encoded as in encodeKey), creating the
// directory if missing: write to a temporary file, fsync, rename. Headers,
// metadata and tags stay in the snapshot. Every access goes through an
// os.Root, so neither a hostile path nor a symbolic link already in the
// directory can make it write outside. It returns the files and bytes
// written.
func restoreDir(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) (provider.Counts, error) {
	var c provider.Counts
	if err := os.MkdirAll(opts.To, 0o755); err != nil {
		return c, fmt.Errorf("restore to %s: %w", opts.To, err)
	}
	root, err := os.OpenRoot(opts.To)
	if err != nil {
		return c, fmt.Errorf("restore to %s: %w", opts.To, err)
	}
	defer root.Close()
	err = tree.Walk(ctx, func(e provider.Entry) error {
		if !filepath.IsLocal(e.Path) || path.Clean(e.Path) != e.Path {
			return fmt.Errorf("%q: %w", e.Path, errEscape)
		}
		if !selected(opts, e.Path) {
			return nil
		}
		switch e.Kind {
		case provider.KindDir:
			return root.MkdirAll(e.Path, 0o755)
		case provider.KindFile:
			if err := writeFile(ctx, root, tree, e); err != nil {
				return err
			}
			c.Files++
			c.Bytes += e.Size
			return nil
		}
		return fmt.Errorf("%s is a %s, not an object: not a snapshot of an s3 source", e.Path, e.Kind)
	})
	if err != nil {
		return c, fmt.Errorf("restore to %s: %w (%d objects written before)", opts.To, err, c.Files)
	}
	return c, nil
}

func writeFile(ctx context.Context, root *os.Root, tree provider.Tree, e provider.Entry) error {
	if err := root.MkdirAll(path.Dir(e.Path), 0o755); err != nil {
		return err
	}
	tmp := path.Join(path.Dir(e.Path), ".velin-tmp-"+path.Base(e.Path))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			_ = root.Remove(tmp)
		}
	}()
	if e.Size > 0 {
		rc, err := tree.Open(ctx, e)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("write %s: %w", e.Path, err)
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	ok = true
	if err := root.Rename(tmp, e.Path); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	return root.Chtimes(e.Path, e.ModTime, e.ModTime)
}

// planDir plans a restore into a local directory: "create" for a file
// that does not exist, "unchanged" for one with the same content,
// "replace" otherwise.
func planDir(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]provider.Change, error) {
	var out []provider.Change
	err := tree.Walk(ctx, func(e provider.Entry) error {
		if e.Kind != provider.KindFile || !selected(opts, e.Path) {
			return nil
		}
		if !filepath.IsLocal(e.Path) {
			return fmt.Errorf("%q: %w", e.Path, errEscape)
		}
		c := provider.Change{Action: "create", What: e.Path, Snapshot: sizeText(e.Size)}
		f, err := os.Open(filepath.Join(opts.To, filepath.FromSlash(e.Path)))
		if err == nil {
			fi, _ := f.Stat()
			c.Current, c.Action = sizeText(fi.Size()), "replace"
			if fi.Size() == e.Size && provider.SameContent(ctx, tree, e, f) {
				c.Action = "unchanged"
			}
			f.Close()
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("plan restore to %s: %w", opts.To, err)
	}
	return out, nil
}

// TestRestore implements provider.Source: it writes every object into
// opts.Scratch and counts them.
func (s *Source) TestRestore(ctx context.Context, tree provider.Tree, opts provider.TestRestoreOptions) (provider.TestReport, error) {
	c, err := restoreDir(ctx, tree, provider.RestoreOptions{To: opts.Scratch})
	if err != nil {
		return provider.TestReport{}, fmt.Errorf("test restore %s: %w", s.identity, err)
	}
	return provider.TestReport{Counts: c}, nil
}
