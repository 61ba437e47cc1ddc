package bucket

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	s3storage "github.com/velinhq/velin/engine/storage/s3"
	"github.com/velinhq/velin/providers/provider"
)

// PlanRestore implements provider.Source: per object "create", "replace"
// or "unchanged", per live object a restore in mode "replace" deletes
// "delete", and per bucket a summary with counts and sizes. opts.To plans
// a restore into a local directory, opts.Buckets and opts.Include limit
// it, and with opts.ToBucket the changes name the bucket written.
func (s *Source) PlanRestore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) ([]provider.Change, error) {
	if err := checkDestination(opts); err != nil {
		return nil, fmt.Errorf("plan restore: %w", err)
	}
	if _, _, err := selection(ctx, tree, opts); err != nil {
		return nil, fmt.Errorf("plan restore: %w", err)
	}
	if opts.To != "" {
		return planDir(ctx, tree, opts)
	}
	var changes []provider.Change
	var live map[string]liveObject
	var t *tally
	at := 0
	err := walkObjects(ctx, tree, opts, visitor{
		start: func(b string) (err error) {
			live, err = s.live(ctx, destBucket(opts, b), b)
			t, at = &tally{}, len(changes)
			changes = append(changes, provider.Change{})
			return err
		},
		object: func(e provider.Entry, key string) error {
			t.objects++
			t.bytes += e.Size
			c := objectChange(e, key, live, t)
			c.What = destPath(opts, e.Path)
			changes = append(changes, c)
			return nil
		},
		end: func(b string) error {
			changes = append(changes, s.deletions(destBucket(opts, b), live, opts, t)...)
			changes[at] = bucketChange(b, opts, live, t)
			return nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("plan restore: %w", err)
	}
	return changes, nil
}

func objectChange(e provider.Entry, key string, live map[string]liveObject, t *tally) provider.Change {
	c := provider.Change{Action: "create", What: e.Path, Snapshot: sizeText(e.Size)}
	l, ok := live[key]
	if ok {
		delete(live, key)
		c.Current = sizeText(l.size)
		if l.same(e) {
			c.Action = "unchanged"
			t.unchanged++
			return c
		}
		c.Action = "replace"
		t.replace++
		return c
	}
	t.created++
	return c
}

// deletions lists the live objects a restore deletes: those left in live
// in mode "replace" without --include.
func (s *Source) deletions(b string, live map[string]liveObject, opts provider.RestoreOptions, t *tally) []provider.Change {
	if s.opts.Mode != ModeReplace || len(opts.Include) > 0 {
		return nil
	}
	keys := make([]string, 0, len(live))
	for k := range live {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]provider.Change, 0, len(keys))
	for _, k := range keys {
		t.deleted++
		t.delSize += live[k].size
		out = append(out, provider.Change{Action: "delete", What: b + "/" + k, Current: sizeText(live[k].size),
			Detail: "not in the snapshot (mode \"replace\")"})
	}
	return out
}

// bucketChange sums up the restore of snapshot bucket b.
func bucketChange(b string, opts provider.RestoreOptions, live map[string]liveObject, t *tally) provider.Change {
	what := "bucket " + b
	if opts.ToBucket != "" {
		what = fmt.Sprintf("bucket %s (from snapshot bucket %s)", opts.ToBucket, b)
	}
	c := provider.Change{Action: "replace", What: what,
		Snapshot: fmt.Sprintf("%d objects, %s", t.objects, sizeText(t.bytes)),
		Detail: fmt.Sprintf("%d created, %d replaced, %d unchanged, %d deleted (%s)",
			t.created, t.replace, t.unchanged, t.deleted, sizeText(t.delSize))}
	if live == nil {
		c.Action, c.Detail = "create", "the bucket does not exist: created"
	}
	return c
}

func sizeText(n int64) string {
	return fmt.Sprintf("%d B", n)
}

// Restore implements provider.Source. With opts.To it writes the objects
// into that local directory (restoreDir). Otherwise it restores each
// bucket in place, one after the other: it creates a missing bucket,
// writes the objects that differ from the snapshot (with their headers,
// metadata and tags), and in mode "replace" (without --include) then
// deletes the objects the snapshot does not have, so the bucket ends as
// the snapshot holds it. opts.Buckets and opts.Include limit it;
// opts.ToBucket writes the one bucket selected into another (see
// selection). A failure stops the restore and says what was and was not
// restored.
func (s *Source) Restore(ctx context.Context, tree provider.Tree, opts provider.RestoreOptions) error {
	if err := checkDestination(opts); err != nil {
		return fmt.Errorf("restore %s: %w", s.identity, err)
	}
	order, tallies, err := selection(ctx, tree, opts)
	if err != nil {
		return fmt.Errorf("restore %s: %w", s.identity, err)
	}
	if opts.To != "" {
		_, err := restoreDir(ctx, tree, opts)
		return err
	}
	r := &bucketRestore{s: s, opts: opts, tree: tree, parent: ctx, tallies: tallies}
	if err := walkObjects(ctx, tree, opts, visitor{start: r.start, object: r.object, end: r.end}); err != nil {
		r.abort()
		return fmt.Errorf("restore: %w; %s", err, progress(order, tallies))
	}
	return nil
}

// bucketRestore is a restore in place in progress, one bucket at a time.
type bucketRestore struct {
	s       *Source
	opts    provider.RestoreOptions
	tree    provider.Tree
	parent  context.Context
	tallies map[string]*tally

	ctx  context.Context
	g    *errgroup.Group
	st   *s3storage.Storage
	live map[string]liveObject
	t    *tally
	mu   sync.Mutex
}

func (r *bucketRestore) start(b string) (err error) {
	r.t = r.tallies[b]
	dest := destBucket(r.opts, b)
	if err := r.s.ensureBucket(r.parent, dest); err != nil {
		return err
	}
	if r.live, err = r.s.live(r.parent, dest, b); err != nil {
		return err
	}
	r.t.state = "started"
	r.g, r.ctx = errgroup.WithContext(r.parent)
	r.g.SetLimit(r.s.workers)
	r.st = s3storage.ForBucket(r.s.client, dest)
	return nil
}

func (r *bucketRestore) object(e provider.Entry, key string) error {
	if err := r.ctx.Err(); err != nil {
		return r.g.Wait()
	}
	l, ok := r.live[key]
	delete(r.live, key)
	if ok && l.same(e) {
		r.t.unchanged++
		return nil
	}
	r.g.Go(func() error { return r.put(e, key) })
	return nil
}

func (r *bucketRestore) put(e provider.Entry, key string) error {
	rc, err := r.tree.Open(r.ctx, e)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := r.st.PutObject(r.ctx, key, head(e.Meta), rc, e.Size); err != nil {
		return fmt.Errorf("write %s: %w", e.Path, err)
	}
	r.mu.Lock()
	r.t.written++
	r.mu.Unlock()
	return nil
}

func (r *bucketRestore) end(b string) error {
	if err := r.g.Wait(); err != nil {
		return err
	}
	if r.s.opts.Mode == ModeReplace && len(r.opts.Include) == 0 {
		keys := make([]string, 0, len(r.live))
		for k := range r.live {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n, err := r.s.deleteKeys(r.parent, destBucket(r.opts, b), keys)
		r.t.deleted = int64(n)
		if err != nil {
			return err
		}
	}
	r.t.state = "restored"
	return nil
}

// abort waits for the uploads of the bucket being restored.
func (r *bucketRestore) abort() {
	if r.g != nil {
		_ = r.g.Wait()
	}
}

// progress says what a failed restore did: per bucket restored, partly
// restored or not touched.
func progress(order []string, tallies map[string]*tally) string {
	var parts []string
	for _, b := range order {
		t := tallies[b]
		switch t.state {
		case "restored":
			parts = append(parts, fmt.Sprintf("bucket %s restored (%d objects)", b, t.objects))
		case "started":
			parts = append(parts, fmt.Sprintf("bucket %s partly restored: %d of %d objects written or already equal, %d objects not in the snapshot deleted",
				b, t.written+t.unchanged, t.objects, t.deleted))
		default:
			parts = append(parts, fmt.Sprintf("bucket %s not restored (untouched)", b))
		}
	}
	return strings.Join(parts, "; ")
}

// checkDestination refuses two destinations at once.
func checkDestination(opts provider.RestoreOptions) error {
	if opts.To != "" && opts.ToBucket != "" {
		return fmt.Errorf("--to %s and --to-bucket %s are two destinations: give one", opts.To, opts.ToBucket)
	}
	return nil
}
