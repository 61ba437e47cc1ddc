package sourcetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/provider"
)

func testRoundTrip(t *testing.T, h Harness) {
	fx := h.Setup(t)
	check := fx.Capture(t)
	tree, facts, _ := h.backup(t, fx, nil, false)
	if facts.Type == "" || facts.Identity == "" {
		t.Errorf("facts without type or identity: %+v", facts)
	}
	if n := countFiles(t, tree); n != facts.Files {
		t.Errorf("facts say %d files, tree has %d", facts.Files, n)
	}
	to, restored := fx.Dest(t.TempDir())
	if err := fx.Source.Restore(context.Background(), tree, provider.RestoreOptions{To: to}); err != nil {
		t.Fatalf("restore: %v", err)
	}
	check(t, restored)
}

func testInspect(t *testing.T, h Harness) {
	fx := h.Setup(t)
	inspected, err := fx.Source.Inspect(context.Background())
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	_, backed, _ := h.backup(t, fx, nil, false)
	if inspected.Type != backed.Type || inspected.Identity != backed.Identity {
		t.Errorf("inspect says %s %q, backup %s %q", inspected.Type, inspected.Identity, backed.Type, backed.Identity)
	}
	if inspected.Files != backed.Files || inspected.Rows != backed.Rows || inspected.Tables != backed.Tables {
		t.Errorf("inspect facts %+v differ from backup facts %+v", inspected, backed)
	}
	if h.FileTree && inspected.Bytes != backed.Bytes {
		t.Errorf("inspect says %d bytes, backup %d", inspected.Bytes, backed.Bytes)
	}
}

func testIncremental(t *testing.T, h Harness) {
	fx := h.Setup(t)
	first, _, _ := h.backup(t, fx, nil, false)
	changed := fx.Mutate(t)
	check := fx.Capture(t)
	second, _, cs := h.backup(t, fx, first, true)

	for _, p := range changed {
		if _, ok := cs.reused[p]; ok {
			t.Errorf("changed entry %s was reused, not re-read", p)
		}
	}
	if h.FileTree {
		want := unchangedFiles(t, first, second, changed)
		if int64(len(cs.reused)) != want {
			t.Errorf("incremental backup reused %d files, want %d unchanged", len(cs.reused), want)
		}
	}
	to, restored := fx.Dest(t.TempDir())
	if err := fx.Source.Restore(context.Background(), second, provider.RestoreOptions{To: to}); err != nil {
		t.Fatalf("restore incremental: %v", err)
	}
	check(t, restored)
}

// unchangedFiles counts the file entries of second that first had too and
// that are not in changed.
func unchangedFiles(t testing.TB, first, second provider.Tree, changed []string) int64 {
	before := map[string]bool{}
	walk(t, first, func(e provider.Entry) {
		if e.Kind == provider.KindFile {
			before[e.Path] = true
		}
	})
	skip := map[string]bool{}
	for _, p := range changed {
		skip[p] = true
	}
	var n int64
	walk(t, second, func(e provider.Entry) {
		if e.Kind == provider.KindFile && before[e.Path] && !skip[e.Path] {
			n++
		}
	})
	return n
}

func testPlanRestore(t *testing.T, h Harness) {
	fx := h.Setup(t)
	tree, _, _ := h.backup(t, fx, nil, false)
	changed := fx.Mutate(t)
	changes, err := fx.Source.PlanRestore(context.Background(), tree, provider.RestoreOptions{})
	if err != nil {
		t.Fatalf("plan restore in place: %v", err)
	}
	for _, p := range changed {
		if !hasChange(changes, "replace", p) {
			t.Errorf("plan restore does not replace changed %s: %+v", p, changes)
		}
	}
	to, _ := fx.Dest(t.TempDir())
	fresh, err := fx.Source.PlanRestore(context.Background(), tree, provider.RestoreOptions{To: to})
	if err != nil {
		t.Fatalf("plan restore to empty dir: %v", err)
	}
	if len(fresh) == 0 {
		t.Error("plan restore into an empty directory lists no creations")
	}
	for _, c := range fresh {
		if c.Action != "create" {
			t.Errorf("plan restore into an empty directory: %+v", c)
		}
	}
}

func hasChange(changes []provider.Change, action, path string) bool {
	for _, c := range changes {
		if c.Action == action && (c.What == path || strings.HasSuffix(c.What, "/"+path)) {
			return true
		}
	}
	return false
}

func testRestoreInPlace(t *testing.T, h Harness) {
	fx := h.Setup(t)
	check := fx.Capture(t)
	tree, _, _ := h.backup(t, fx, nil, false)
	fx.Mutate(t)
	if err := fx.Source.Restore(context.Background(), tree, provider.RestoreOptions{}); err != nil {
		t.Fatalf("restore in place: %v", err)
	}
	check(t, fx.Live)
}

func testTestRestore(t *testing.T, h Harness) {
	fx := h.Setup(t)
	tree, facts, _ := h.backup(t, fx, nil, false)
	opts := provider.TestRestoreOptions{Scratch: t.TempDir(), ID: scratchID(t)}
	if h.Asserts.True.Name != "" {
		opts.Asserts = []provider.Assert{h.Asserts.True, h.Asserts.False}
	}
	rep, err := fx.Source.TestRestore(context.Background(), tree, opts)
	if err != nil {
		t.Fatalf("test restore: %v", err)
	}
	counts := rep.Counts
	if counts.Files != facts.Files || counts.Bytes != facts.Bytes || counts.Rows != facts.Rows {
		t.Errorf("test restore counted %+v, backup facts %+v", counts, facts)
	}
	failed := rep.Failed()
	if h.Asserts.True.Name == "" {
		if len(failed) > 0 {
			t.Errorf("test restore: failed checks %+v", failed)
		}
		return
	}
	if len(failed) != 1 || failed[0].Name != "assert "+h.Asserts.False.Name || failed[0].Kind != "assert" {
		t.Errorf("test restore: want exactly the false assertion %q failed, got %+v", h.Asserts.False.Name, failed)
	}
	n := 0
	for _, c := range rep.Checks {
		if c.Kind == "assert" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("test restore ran %d assertions, want 2: %+v", n, rep.Checks)
	}
}

// scratchID is a test restore id unique to the test: [a-z0-9] only.
func scratchID(t testing.TB) string {
	return fmt.Sprintf("t%x", time.Now().UnixNano())
}

// testRestoreFailure makes the snapshot's content fail half-way through a
// restore in place: the restore must fail and the live data stay exactly
// as it was (never half-restored).
func testRestoreFailure(t *testing.T, h Harness) {
	fx := h.Setup(t)
	tree, _, _ := h.backup(t, fx, nil, false)
	fx.Mutate(t)
	check := fx.Capture(t)
	err := fx.Source.Restore(context.Background(), failingTree{tree}, provider.RestoreOptions{})
	if err == nil {
		t.Fatal("restore of a snapshot whose content fails half-way succeeded")
	}
	check(t, fx.Live)
}

func walk(t testing.TB, tree provider.Tree, fn func(provider.Entry)) {
	t.Helper()
	err := tree.Walk(context.Background(), func(e provider.Entry) error {
		fn(e)
		return nil
	})
	if err != nil {
		t.Fatalf("walk tree: %v", err)
	}
}

func countFiles(t testing.TB, tree provider.Tree) int64 {
	var n int64
	walk(t, tree, func(e provider.Entry) {
		if e.Kind == provider.KindFile {
			n++
		}
	})
	return n
}
