package mysql

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/readahead"
)

// aheadSize and aheadBuffers bound how far a dump is read ahead of the
// sink (2 MiB).
const (
	aheadSize    = 256 << 10
	aheadBuffers = 8
)

// Backup implements provider.Source: one dump per database, streamed into
// the sink as "<db>.sql" while its rows are counted. A dump that fails,
// is cut short or is cancelled fails the backup.
func (s *Source) Backup(ctx context.Context, sink provider.Sink, opts provider.BackupOptions) (provider.Facts, error) {
	h, sv, dbs, err := s.connect(ctx)
	if err != nil {
		return provider.Facts{}, fmt.Errorf("backup mysql %s: %w", s.c.where(), err)
	}
	h.Close()
	dump, err := s.dumpTool(ctx, sv)
	if err != nil {
		return provider.Facts{}, fmt.Errorf("backup mysql %s: %w", s.c.where(), err)
	}
	f := s.facts(sv, dump)
	for _, db := range dbs {
		c, err := s.backupDB(ctx, sink, dump, sv, db)
		if err != nil {
			return provider.Facts{}, fmt.Errorf("backup mysql %s: database %s: %w", s.c.where(), db, err)
		}
		f.Files++
		f.Bytes += c.bytes
		f.Rows += c.total
		f.Tables += c.tables
	}
	return f, nil
}

// backupDB streams the dump of db into the sink and returns its counts.
func (s *Source) backupDB(ctx context.Context, sink provider.Sink, dump tool, sv server, db string) (*counter, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	passes := s.dumpPasses(dump, db)
	out, err := s.startDump(ctx, dump, passes)
	if err != nil {
		return nil, err
	}
	defer out.r.Close()
	c := newCounter()
	e := provider.Entry{Path: db + ".sql", Kind: provider.KindFile, Mode: 0o600,
		ModTime: time.Now().UTC().Truncate(time.Second), Size: provider.SizeUnknown,
		Meta: map[string]string{"database": db, "client": dump.String(), "server": sv.String()}}
	// the dump is read and counted ahead of the sink (bounded), so that
	// the dump tool goes on while the sink chunks and hashes
	ahead := readahead.NewGather(io.TeeReader(out, c), aheadSize, aheadBuffers, out.gather)
	defer ahead.Close()
	err = sink.Put(ctx, e, ahead)
	if err != nil {
		cancel() // kills the dump tool, which ends its output
	}
	<-out.done
	derr := out.err
	switch {
	case derr != nil:
		return nil, fmt.Errorf("%w: %v", ErrDump, derr)
	case err != nil:
		return nil, err
	case c.complete != len(passes):
		return nil, fmt.Errorf("%w: the dump ended without its \"-- Dump completed\" line", ErrDump)
	}
	return c, nil
}

// dumpOutput is the dump tools' stdout: an OS pipe they write to
// directly (no copy through velin), read to its end and then ending in
// the dump's error, if any, instead of io.EOF, so that a failed dump never
// reads as a complete one.
type dumpOutput struct {
	r      *os.File
	gather time.Duration // readahead's pause: 1 ms with a 1 MiB pipe, else 0
	done   chan struct{} // closed when every pass ended
	err    error         // the first pass that failed (set before done)
}

// startDump runs the passes one after the other, all writing to one pipe.
func (s *Source) startDump(ctx context.Context, dump tool, passes [][]string) (*dumpOutput, error) {
	pr, pw, size, err := readahead.Pipe()
	if err != nil {
		return nil, fmt.Errorf("dump: %w", err)
	}
	out := &dumpOutput{r: pr, done: make(chan struct{})}
	if size >= readahead.PipeSize {
		out.gather = time.Millisecond
	}
	go func() {
		defer close(out.done)
		for _, args := range passes {
			if out.err = s.run(ctx, dump, args, nil, pw); out.err != nil {
				break
			}
		}
		pw.Close()
	}()
	return out, nil
}

// Read implements io.Reader.
func (o *dumpOutput) Read(p []byte) (int, error) {
	n, err := o.r.Read(p)
	if errors.Is(err, io.EOF) {
		<-o.done
		if o.err != nil {
			return n, o.err
		}
	}
	return n, err
}

// dumpPasses are the argument lists of the dump of db (after the defaults
// file and host): one pass, or for mysqldump, which cannot leave out one
// table's data, a second pass with the structure of those tables.
func (s *Source) dumpPasses(dump tool, db string) [][]string {
	base := []string{"--single-transaction", "--routines", "--triggers", "--events", "--hex-blob",
		"--skip-dump-date", "--default-character-set=utf8mb4", "--add-locks", "--quick",
		"--extended-insert", "--add-drop-table", "--comments"}
	for _, t := range sorted(s.excl) {
		if strings.HasPrefix(t, db+".") {
			base = append(base, "--ignore-table="+t)
		}
	}
	var noData []string
	for _, t := range sorted(s.exclData) {
		if strings.HasPrefix(t, db+".") {
			noData = append(noData, strings.TrimPrefix(t, db+"."))
		}
	}
	if len(noData) == 0 {
		return [][]string{append(base, "--", db)}
	}
	if strings.Contains(dump.Version, "MariaDB") {
		for _, t := range noData {
			base = append(base, "--ignore-table-data="+db+"."+t)
		}
		return [][]string{append(base, "--", db)}
	}
	first := append([]string(nil), base...)
	for _, t := range noData {
		first = append(first, "--ignore-table="+db+"."+t)
	}
	second := []string{"--single-transaction", "--no-data", "--triggers", "--skip-dump-date",
		"--default-character-set=utf8mb4", "--add-drop-table", "--comments", "--", db}
	return [][]string{append(first, "--", db), append(second, noData...)}
}

func sorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
