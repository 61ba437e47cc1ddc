package repo

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// runBytes is how many bytes of entries a source writer keeps in memory
// before it writes them, sorted, to a temporary file as one run.
const runBytes = 16 << 20

// record is one entry of a source on its way to a tree: its path and its
// node, already encoded as the tree blob will hold it (for a directory,
// without its subtree, which is known only once its children are).
type record struct {
	path string
	dir  bool
	node []byte // JSON of node.toWire()
}

// recordOverhead approximates the memory of a record besides its bytes.
const recordOverhead = 64

// comparePaths orders paths component by component: a directory right
// before its children, siblings by the bytes of their names. It is byte
// order with '/' below every other byte (names hold neither '/' nor NUL).
func comparePaths(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] == b[i] {
			continue
		}
		switch {
		case a[i] == '/':
			return -1
		case b[i] == '/':
			return 1
		case a[i] < b[i]:
			return -1
		}
		return 1
	}
	return len(a) - len(b)
}

// entryRuns collects the records of one source in any order and yields
// them in path order. Up to runBytes stay in memory; beyond that sorted
// runs go to an unlinked temporary file, merged when read back, so the
// memory a source of millions of entries takes stays bounded. Not safe for
// concurrent use (the source writer holds its lock).
type entryRuns struct {
	limit int
	buf   []record
	size  int
	file  *os.File
	runs  []runSpan
	end   int64
}

type runSpan struct{ off, len int64 }

func newEntryRuns(limit int) *entryRuns { return &entryRuns{limit: limit} }

// add keeps rec, spilling a run when the buffer is full.
func (er *entryRuns) add(rec record) error {
	er.buf = append(er.buf, rec)
	er.size += len(rec.path) + len(rec.node) + recordOverhead
	if er.size < er.limit {
		return nil
	}
	return er.spill()
}

func (er *entryRuns) sortBuf() {
	slices.SortStableFunc(er.buf, func(a, b record) int { return comparePaths(a.path, b.path) })
}

// spill writes the buffer, sorted, as one run at the end of the file.
func (er *entryRuns) spill() error {
	if len(er.buf) == 0 {
		return nil
	}
	if er.file == nil {
		f, err := os.CreateTemp("", "velin-entries-*")
		if err != nil {
			return fmt.Errorf("spill entries: %w", err)
		}
		_ = os.Remove(f.Name()) // unlinked at once where the system allows: nothing is left behind
		er.file = f
	}
	er.sortBuf()
	w := bufio.NewWriterSize(io.NewOffsetWriter(er.file, er.end), 1<<16)
	var n int64
	var hdr [2 * binary.MaxVarintLen64]byte
	for _, rec := range er.buf {
		k := binary.PutUvarint(hdr[:], uint64(len(rec.path)))
		k += binary.PutUvarint(hdr[k:], uint64(len(rec.node)))
		flag := byte(0)
		if rec.dir {
			flag = 1
		}
		w.Write(hdr[:k])
		w.WriteByte(flag)
		w.WriteString(rec.path)
		w.Write(rec.node)
		n += int64(k + 1 + len(rec.path) + len(rec.node))
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("spill entries: %w", err)
	}
	er.runs = append(er.runs, runSpan{er.end, n})
	er.end += n
	clear(er.buf)
	er.buf, er.size = er.buf[:0], 0
	return nil
}

// each calls fn for every record in path order (records with equal paths
// next to each other), then releases everything.
func (er *entryRuns) each(fn func(record) error) error {
	defer er.close()
	if er.file == nil {
		er.sortBuf()
		for _, rec := range er.buf {
			if err := fn(rec); err != nil {
				return err
			}
		}
		return nil
	}
	if err := er.spill(); err != nil {
		return err
	}
	h := make(runHeap, 0, len(er.runs))
	for _, s := range er.runs {
		rr := &runReader{r: bufio.NewReaderSize(io.NewSectionReader(er.file, s.off, s.len), 1<<16)}
		if err := rr.next(); err != nil {
			return err
		}
		if rr.ok {
			h = append(h, rr)
		}
	}
	heap.Init(&h)
	for len(h) > 0 {
		rr := h[0]
		if err := fn(rr.cur); err != nil {
			return err
		}
		if err := rr.next(); err != nil {
			return err
		}
		if rr.ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

// close drops the buffer and the temporary file.
func (er *entryRuns) close() {
	er.buf, er.size, er.runs = nil, 0, nil
	if er.file != nil {
		name := er.file.Name()
		er.file.Close()
		_ = os.Remove(name) // where the early unlink was not allowed
		er.file = nil
	}
}

// runReader reads one run back, a record at a time.
type runReader struct {
	r   *bufio.Reader
	cur record
	ok  bool
}

var errBadRun = errors.New("read spilled entries: truncated run")

func (rr *runReader) next() error {
	pl, err := binary.ReadUvarint(rr.r)
	if err == io.EOF {
		rr.ok = false
		return nil
	}
	if err != nil {
		return errBadRun
	}
	nl, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return errBadRun
	}
	flag, err := rr.r.ReadByte()
	if err != nil || pl > 1<<20 || nl > 1<<24 {
		return errBadRun
	}
	b := make([]byte, pl+nl)
	if _, err := io.ReadFull(rr.r, b); err != nil {
		return errBadRun
	}
	rr.cur = record{path: string(b[:pl]), dir: flag == 1, node: b[pl:]}
	rr.ok = true
	return nil
}

// runHeap orders run readers by their current record's path.
type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return comparePaths(h[i].cur.path, h[j].cur.path) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
