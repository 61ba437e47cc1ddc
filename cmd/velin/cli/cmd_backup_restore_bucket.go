package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/velinhq/velin/engine/export"
	"github.com/velinhq/velin/engine/restore"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/workspace"
)

// bucketOpener is a target that reaches other buckets of its endpoint
// with its credentials (providers/s3).
type bucketOpener interface {
	Bucket(ctx context.Context, bucket string) (storage.Storage, error)
}

// runRestoreBucket restores the export placed by hand in folder o.ID of
// bucket o.From, reached through the plan's s3 target o.Target: checked
// whole first, then restored like --zip.
func runRestoreBucket(ctx context.Context, g *globalOptions, args []string, o *restoreOptions) error {
	switch {
	case len(args) > 0:
		return errors.New("--id names the snapshot: leave out the ID argument")
	case o.Zip != "":
		return errors.New("--id restores from a bucket and --zip from a file: give one")
	case o.ID == "." || o.ID == ".." || strings.ContainsAny(o.ID, "/\\"):
		return fmt.Errorf("--id %q: give the snapshot id that names the bucket's top-level folder", o.ID)
	case o.Target == "":
		return fmt.Errorf("--id %s restores from folder %s/ of bucket %q: name the s3 target whose endpoint and credentials reach it with --target s3.NAME", o.ID, o.ID, o.From)
	}
	ws, err := g.load()
	if err != nil {
		return err
	}
	defer ws.Close()
	a, err := openBucketExport(ctx, g, ws, o)
	if err != nil {
		return err
	}
	m := a.Snapshot()
	if !strings.HasPrefix(m.ID, o.ID) {
		return fmt.Errorf("%s holds snapshot %s, not %s", a.Location(), m.ID, o.ID)
	}
	if err := a.Verify(ctx); err != nil {
		return fmt.Errorf("%w: nothing was restored", err)
	}
	return restoreFrom(ctx, g, ws, a.Location(), restore.Request{Archive: a, Snapshot: m}, o)
}

func openBucketExport(ctx context.Context, g *globalOptions, ws *workspace.Workspace, o *restoreOptions) (*export.Archive, error) {
	addrs, err := targetsOf(ws, o.Target)
	if err != nil {
		return nil, err
	}
	t, err := ws.Target(addrs[0])
	if err != nil {
		return nil, err
	}
	b, ok := t.Impl.(bucketOpener)
	if !ok {
		return nil, fmt.Errorf("--target %s is a %s target: --id reads a bucket through an s3 target of the plan", o.Target, t.Type)
	}
	st, err := b.Bucket(ctx, o.From)
	if err != nil {
		return nil, err
	}
	return export.OpenStorage(ctx, st, o.ID, func() (string, error) {
		pass, err := g.exportPassphrase(o.ZipPass, false)
		if err == nil {
			ws.Redactor.Add(pass)
		}
		return pass, err
	})
}
