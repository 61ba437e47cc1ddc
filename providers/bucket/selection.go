package bucket

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/velinhq/velin/providers/provider"
)

// selected says whether the entry path p is restored: its bucket is one
// of opts.Buckets (all when empty) and p or one of its parents matches
// opts.Include (all when empty).
func selected(opts provider.RestoreOptions, p string) bool {
	if len(opts.Buckets) > 0 && !slices.Contains(opts.Buckets, topName(p)) {
		return false
	}
	return included(opts.Include, p)
}

// destBucket is the bucket the objects of snapshot bucket b are restored
// into: b, or opts.ToBucket.
func destBucket(opts provider.RestoreOptions, b string) string {
	if opts.ToBucket != "" {
		return opts.ToBucket
	}
	return b
}

// destPath is the entry path p (BUCKET/KEY) with its bucket replaced by
// the one it is restored into, as plans show it.
func destPath(opts provider.RestoreOptions, p string) string {
	if opts.ToBucket == "" {
		return p
	}
	_, rest, _ := strings.Cut(p, "/")
	return opts.ToBucket + "/" + rest
}

// selection counts the objects of each bucket a restore with opts
// visits, in order, and checks opts against the snapshot: every bucket of
// opts.Buckets must be in it, and opts.ToBucket needs exactly one bucket
// selected. The errors say how to fix the command.
func selection(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]string, map[string]*tally, error) {
	var all []string
	err := tree.Walk(ctx, func(e provider.Entry) error {
		if e.Kind == provider.KindDir && topName(e.Path) == e.Path {
			all = append(all, e.Path)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var missing []string
	for _, b := range opts.Buckets {
		if !slices.Contains(all, b) {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("--bucket %s: the snapshot has no such bucket; it has %s: fix --bucket",
			strings.Join(missing, ", "), orNone(all))
	}
	order, tallies, err := countBuckets(ctx, tree, opts)
	if err != nil || opts.ToBucket == "" || len(order) == 1 {
		return order, tallies, err
	}
	if len(order) == 0 {
		return nil, nil, fmt.Errorf("--to-bucket %s: the restore selects no bucket (the snapshot has %s): name one with --bucket NAME",
			opts.ToBucket, orNone(all))
	}
	return nil, nil, fmt.Errorf("--to-bucket %s takes the objects of one bucket, and the restore selects %d (%s): "+
		"add --bucket NAME to choose one, e.g. --bucket %s --to-bucket %s",
		opts.ToBucket, len(order), strings.Join(order, ", "), order[0], opts.ToBucket)
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "no bucket"
	}
	return strings.Join(names, ", ")
}
