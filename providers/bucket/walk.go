package bucket

import (
	"context"
	"fmt"

	"github.com/velinhq/velin/providers/provider"
)

// visitor is what walkObjects calls: start when it enters a bucket that
// has something to restore, object for each object restored, end after
// the bucket's last.
type visitor struct {
	start  func(bucket string) error
	object func(e provider.Entry, key string) error
	end    func(bucket string) error
}

// walkObjects walks tree bucket by bucket. A bucket is visited when its
// directory entry or one of its objects is selected (see selected).
// Entries that are not objects of a snapshot of this source (links, paths
// that do not decode) are an error: restoring them could write elsewhere.
func walkObjects(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions, v visitor) error {
	cur := ""
	enter := func(b string) error {
		if cur == b {
			return nil
		}
		if cur != "" {
			if err := v.end(cur); err != nil {
				return err
			}
		}
		cur = b
		return v.start(b)
	}
	err := tree.Walk(ctx, func(e provider.Entry) error {
		switch {
		case e.Kind == provider.KindDir:
			if topName(e.Path) == e.Path && selected(opts, e.Path) {
				return enter(e.Path)
			}
			return nil
		case e.Kind != provider.KindFile:
			return fmt.Errorf("%s is a %s, not an object: not a snapshot of an s3 source", e.Path, e.Kind)
		}
		b, key, err := decodePath(e.Path)
		if err != nil {
			return err
		}
		if !selected(opts, e.Path) {
			return nil
		}
		if err := enter(b); err != nil {
			return err
		}
		return v.object(e, key)
	})
	if err == nil && cur != "" {
		err = v.end(cur)
	}
	return err
}

// tally is what a bucket's restore did or will do.
type tally struct {
	objects, bytes   int64 // in the snapshot
	created, replace int64
	unchanged        int64
	deleted, delSize int64
	written          int64 // objects written so far
	state            string
}

// countBuckets counts the objects of each bucket walkObjects visits, in
// order.
func countBuckets(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]string, map[string]*tally, error) {
	var order []string
	t := map[string]*tally{}
	err := walkObjects(ctx, tree, opts, visitor{
		start: func(b string) error { order = append(order, b); t[b] = &tally{state: "not restored"}; return nil },
		object: func(e provider.Entry, _ string) error {
			c := t[topName(e.Path)]
			c.objects++
			c.bytes += e.Size
			return nil
		},
		end: func(string) error { return nil },
	})
	return order, t, err
}
