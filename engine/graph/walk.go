package graph

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"
)

// RunFunc runs one node. It must return when ctx is done; the error it
// returns becomes the node's Result.Err.
type RunFunc func(ctx context.Context, n *Node) error

// Walk runs every node with run and returns one Result per node, in Nodes()
// order. A node starts once all its dependencies finished, with at most
// parallelism nodes running at once (values below 1 mean 1).
//
// A node whose dependency failed, was skipped or cancelled is skipped (run
// is not called), except finally nodes, which run whatever their
// dependencies' status, and nodes whose Tolerates the failure wraps. Once ctx is done, nodes not yet started are
// cancelled, except finally nodes: they still run, with a context that the
// parent's cancellation does not cancel but that ends FinallyTimeout after
// it. Running nodes see ctx cancelled and report what they return. A panic
// in run fails the node with a *PanicError.
func (g *Graph) Walk(ctx context.Context, parallelism int, run RunFunc) []Result {
	w := &walker{g: g, limit: max(parallelism, 1), run: run, grace: FinallyTimeout}
	return w.walk(ctx)
}

// walker is the state of one walk. Only the goroutine in walk touches it;
// node goroutines report on done.
type walker struct {
	g          *Graph
	limit      int
	run        RunFunc
	grace      time.Duration
	deps       [][]int // by node position, from the library's predecessor map
	dependents [][]int // by node position, from the library's adjacency
	results    []Result
	pending    []int // unfinished dependencies per node
	ready      []int // node indexes whose dependencies all finished, ascending
	done       chan completion
	running    int
	left       int // nodes not finished
}

type completion struct {
	i      int
	status Status
	err    error
	start  time.Time
	end    time.Time
	ran    bool
}

func (w *walker) walk(ctx context.Context) []Result {
	n := len(w.g.nodes)
	var err error
	if w.deps, w.dependents, err = w.g.links(w.g.dag); err != nil {
		return w.failAll(err)
	}
	w.results = make([]Result, n)
	w.pending = make([]int, n)
	w.done = make(chan completion, n)
	w.left = n
	for i, node := range w.g.nodes {
		w.results[i].Node = node
		w.pending[i] = len(w.deps[i])
		if w.pending[i] == 0 {
			w.ready = append(w.ready, i)
		}
	}
	cancelled := ctx.Done()
	for {
		w.dispatch(ctx)
		if w.left == 0 {
			return w.results
		}
		select {
		case c := <-w.done:
			w.finish(c)
		case <-cancelled:
			cancelled = nil // dispatch again: waiting nodes are now cancelled
		}
	}
}

// dispatch settles every ready node it can: skipped and cancelled ones at
// once, runnable ones while a slot is free.
func (w *walker) dispatch(ctx context.Context) {
	for k := 0; k < len(w.ready); {
		i := w.ready[k]
		if status, err, settled := w.verdict(ctx, i); settled {
			w.ready = slices.Delete(w.ready, k, k+1)
			w.finish(completion{i: i, status: status, err: err})
			k = 0 // finish may have made earlier nodes ready
			continue
		}
		if w.running >= w.limit {
			k++
			continue
		}
		w.ready = slices.Delete(w.ready, k, k+1)
		w.start(ctx, i)
	}
}

// verdict decides whether node i ends without running.
func (w *walker) verdict(ctx context.Context, i int) (Status, error, bool) {
	if w.g.nodes[i].Phase == PhaseFinally {
		return "", nil, false
	}
	if ctx.Err() != nil {
		return StatusCancelled, context.Cause(ctx), true
	}
	for _, d := range w.deps[i] {
		if w.tolerated(i, d) {
			continue
		}
		if st := w.results[d].Status; st != StatusOK {
			return StatusSkipped, fmt.Errorf("%w: %s %s", ErrDependency, w.g.nodes[d].ID, st), true
		}
	}
	return "", nil, false
}

// tolerated reports whether node i runs despite its dependency d failing.
func (w *walker) tolerated(i, d int) bool {
	t, r := w.g.nodes[i].Tolerates, w.results[d]
	return t != nil && r.Status == StatusFailed && errors.Is(r.Err, t)
}

func (w *walker) start(ctx context.Context, i int) {
	w.running++
	node := w.g.nodes[i]
	nctx, release := ctx, context.CancelFunc(func() {})
	if node.Phase == PhaseFinally {
		nctx, release = detach(ctx, w.grace)
	}
	go func() {
		defer release()
		c := completion{i: i, ran: true, start: time.Now()}
		c.err = w.call(nctx, node)
		c.end = time.Now()
		c.status = statusOf(nctx, c.err)
		w.done <- c
	}()
}

// call runs one node, turning a panic into an error.
func (w *walker) call(ctx context.Context, n *Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return w.run(ctx, n)
}

func statusOf(ctx context.Context, err error) Status {
	switch {
	case err == nil:
		return StatusOK
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Cause(ctx))):
		return StatusCancelled
	}
	return StatusFailed
}

// finish records a node's end and readies the dependents it unblocks.
func (w *walker) finish(c completion) {
	if c.ran {
		w.running--
	}
	w.left--
	w.results[c.i] = Result{Node: w.g.nodes[c.i], Status: c.status, Err: c.err, Start: c.start, End: c.end}
	for _, d := range w.dependents[c.i] {
		if w.pending[d]--; w.pending[d] == 0 {
			k, _ := slices.BinarySearch(w.ready, d)
			w.ready = slices.Insert(w.ready, k, d)
		}
	}
}

// failAll fails every node without running any, when the graph's edges
// cannot be read (the in-memory store does not fail).
func (w *walker) failAll(err error) []Result {
	rs := make([]Result, len(w.g.nodes))
	for i, n := range w.g.nodes {
		rs[i] = Result{Node: n, Status: StatusFailed, Err: err}
	}
	return rs
}

// detach returns a context for a finally node: not cancelled with parent,
// but cancelled (cause ErrFinallyTimeout) grace after parent is done. The
// returned function releases it.
func detach(parent context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(parent))
	timers := make(chan *time.Timer, 1)
	stop := context.AfterFunc(parent, func() {
		timers <- time.AfterFunc(grace, func() { cancel(ErrFinallyTimeout) })
	})
	return ctx, func() {
		if !stop() {
			(<-timers).Stop()
		}
		cancel(context.Canceled)
	}
}
