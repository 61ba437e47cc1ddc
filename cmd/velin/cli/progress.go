package cli

import (
	"context"
	"io"

	"github.com/schollz/progressbar/v3"

	"github.com/velinhq/velin/providers/provider"
)

// progressBar returns a bar on stderr for long work, or nil when stderr is
// not a terminal or output is JSON (then only results are printed).
// total < 0 means unknown: the bar shows bytes and rate without an ETA.
func (g *globalOptions) progressBar(total int64, what string) *progressbar.ProgressBar {
	if !g.env.Terminal || g.JSON || g.Quiet {
		return nil
	}
	return newBar(g.env.Stderr, total, what)
}

// addFunc returns a function adding n to bar (nil-safe), for callbacks.
func addFunc(bar *progressbar.ProgressBar) func(int64) {
	return func(n int64) {
		if bar != nil {
			bar.Add64(n)
		}
	}
}

func finishBar(bar *progressbar.ProgressBar) {
	if bar != nil {
		bar.Finish()
	}
}

// countingTree reports the bytes read from a tree's files, for restore
// progress.
type countingTree struct {
	provider.Tree
	add func(int64)
}

// wrapCounting wraps t in a countingTree, which reads in batches when t
// does (provider.Batcher: a repository's pack-ordered restore).
func wrapCounting(t provider.Tree, add func(int64)) provider.Tree {
	c := countingTree{Tree: t, add: add}
	if b, ok := t.(provider.Batcher); ok {
		return countingBatcher{countingTree: c, b: b}
	}
	return c
}

// countingBatcher is a countingTree of a provider.Batcher.
type countingBatcher struct {
	countingTree
	b provider.Batcher
}

func (c countingBatcher) ReadBatch(ctx context.Context, files []provider.BatchFile) error {
	for i := range files {
		files[i].Out = countingWriterAt{w: files[i].Out, add: c.add}
	}
	return c.b.ReadBatch(ctx, files)
}

type countingWriterAt struct {
	w   io.WriterAt
	add func(int64)
}

func (c countingWriterAt) WriteAt(p []byte, off int64) (int, error) {
	n, err := c.w.WriteAt(p, off)
	c.add(int64(n))
	return n, err
}

func (c countingTree) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	rc, err := c.Tree.Open(ctx, e)
	if err != nil {
		return nil, err
	}
	return &countingReader{ReadCloser: rc, add: c.add}, nil
}

type countingReader struct {
	io.ReadCloser
	add func(int64)
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.add(int64(n))
	return n, err
}

// WriteTo keeps the wrapped reader's fast path (io.Copy prefers it) and
// counts through the writer instead.
func (r *countingReader) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := r.ReadCloser.(io.WriterTo); ok {
		return wt.WriteTo(countingWriter{w: w, add: r.add})
	}
	return io.Copy(w, onlyReader{r})
}

type onlyReader struct{ io.Reader }

type countingWriter struct {
	w   io.Writer
	add func(int64)
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.add(int64(n))
	return n, err
}
