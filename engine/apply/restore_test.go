package apply

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/velinhq/velin/engine/graph"
)

func TestRestoreOutcomes(t *testing.T) {
	node := func(owner, addr string, kind graph.Kind) *graph.Node {
		return &graph.Node{ID: owner + "/" + addr, Kind: kind, Owner: owner, Addr: addr}
	}
	const r = "restore.platform"
	results := []graph.Result{
		{Node: node(r, "step.http.on", graph.KindStep), Status: graph.StatusOK},
		{Node: node(r, "source.postgres.app", graph.KindRestore), Status: graph.StatusOK},
		{Node: node(r, "source.s3.objects", graph.KindRestore), Status: graph.StatusFailed, Err: errors.New("boom")},
		{Node: node(r, "source.redis.cache", graph.KindRestore), Status: graph.StatusSkipped},
		{Node: node("restore.other", "source.files.a", graph.KindRestore), Status: graph.StatusCancelled, Start: time.Now()},
		{Node: node("restore.other", "source.files.b", graph.KindRestore), Status: graph.StatusCancelled},
	}
	got := restoreOutcomes(results)
	if len(got) != 2 {
		t.Fatalf("outcomes %+v, want 2", got)
	}
	p := got[0]
	if !slices.Equal(p.Restored, []string{"source.postgres.app"}) || !slices.Equal(p.Failed, []string{"source.s3.objects"}) ||
		!slices.Equal(p.NotRestored, []string{"source.redis.cache"}) || p.Complete() {
		t.Errorf("platform: %+v", p)
	}
	want := "restore.platform: restored source.postgres.app; FAILED source.s3.objects; NOT restored (left as they were): source.redis.cache"
	if p.String() != want {
		t.Errorf("got  %s\nwant %s", p, want)
	}
	o := got[1]
	if !slices.Equal(o.Failed, []string{"source.files.a (interrupted)"}) || !slices.Equal(o.NotRestored, []string{"source.files.b"}) ||
		o.String() != "restore.other: restored none; FAILED source.files.a (interrupted); NOT restored (left as they were): source.files.b" {
		t.Errorf("other: %+v %s", o, o)
	}
	if ok := (RestoreOutcome{Restored: []string{"x"}}); !ok.Complete() {
		t.Error("a restore of every source is not complete")
	}
}
