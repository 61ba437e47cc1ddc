package postgres

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// pipeWriter marks write errors (psql went away) as errPipe, so that they
// are told apart from a failing read of the snapshot.
type pipeWriter struct{ w io.Writer }

func (p pipeWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if err != nil {
		return n, fmt.Errorf("%w: %v", errPipe, err)
	}
	return n, nil
}

// lines calls fn with each line of r (with its newline) in chunks of at
// most feedBuffer bytes; start says whether a chunk begins a line.
func lines(r io.Reader, fn func(chunk []byte, start bool) error) error {
	br := bufio.NewReaderSize(r, feedBuffer)
	atStart := true
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if ferr := fn(chunk, atStart); ferr != nil {
				return ferr
			}
			atStart = chunk[len(chunk)-1] == '\n'
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
	}
}

// dropConstraint is how pg_dump --clean drops a constraint.
var dropConstraint = regexp.MustCompile(`^ALTER TABLE IF EXISTS ONLY (.+) DROP CONSTRAINT IF EXISTS .+;\n$`)

// feedAll writes the whole dump to psql, with two changes: the dump's
// "SET lock_timeout = 0" (wait forever) becomes lockTimeout, so that a
// restore other sessions block fails and names them; and pg_dump --clean
// drops each partition's constraints before its parent's, which
// PostgreSQL refuses for the ones a partition inherits ("cannot drop
// inherited constraint"); such drops are skipped for partitions, whose
// constraints go with the parent's or with the partition itself.
// COPY data, the bulk of a dump, goes through as bytes: only the lines
// outside it are looked at as text.
func feedAll(in io.Writer, c *counter, lockTimeout string) error {
	w := bufio.NewWriterSize(pipeWriter{in}, feedBuffer)
	copying := false
	err := lines(c, func(chunk []byte, start bool) error {
		switch {
		case !start:
		case copying:
			copying = !isCopyEnd(chunk)
		case isCopyStart(chunk):
			copying = true
		default:
			if line, ok := rewrite(string(chunk), lockTimeout); ok {
				_, err := io.WriteString(w, line)
				return err
			}
		}
		_, err := w.Write(chunk)
		return err
	})
	if err != nil {
		return err
	}
	return w.Flush()
}

// feedBuffer is the size of the buffers between the snapshot and psql.
const feedBuffer = 256 << 10

func isCopyStart(line []byte) bool {
	return bytes.HasPrefix(line, []byte("COPY ")) && bytes.HasSuffix(line, []byte(" FROM stdin;\n"))
}

func isCopyEnd(line []byte) bool { return string(line) == "\\.\n" }

// rewrite returns what feedAll sends psql instead of a statement line of
// the dump, if anything.
func rewrite(line, lockTimeout string) (string, bool) {
	if line == "SET lock_timeout = 0;\n" {
		return "SET lock_timeout = " + lockTimeout + ";\n", true
	}
	m := dropConstraint.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return "DO $velin$ BEGIN IF NOT coalesce((SELECT relispartition FROM pg_catalog.pg_class WHERE oid = " +
		"pg_catalog.to_regclass('" + strings.ReplaceAll(m[1], "'", "''") + "')), false) THEN " +
		strings.TrimSuffix(line, "\n") + " END IF; END $velin$;\n", true
}

// feedTables writes to psql only the COPY blocks of the tables in keep,
// each after a DELETE of its rows (not TRUNCATE, which refuses any table
// a foreign key references), so that only their rows are replaced; rows
// of other tables still referencing deleted ones fail the transaction. A table asked for that the dump lacks is an error (psql is
// then killed before anything commits).
func feedTables(in io.Writer, c *counter, keep map[tableKey]bool, lockTimeout string) error {
	w := bufio.NewWriterSize(pipeWriter{in}, feedBuffer)
	head := "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\nSET lock_timeout = " + lockTimeout + ";\n"
	if _, err := io.WriteString(w, head); err != nil {
		return err
	}
	found := map[tableKey]bool{}
	copying := false
	err := lines(c, func(chunk []byte, start bool) error {
		if start && !copying && isCopyStart(chunk) {
			k, perr := parseTable(copyTable(string(chunk[len("COPY "):])))
			if perr == nil && keep[k] {
				copying, found[k] = true, true
				if _, err := io.WriteString(w, "DELETE FROM ONLY "+k.String()+";\n"); err != nil {
					return err
				}
			}
		}
		if !copying {
			return nil
		}
		if start && isCopyEnd(chunk) {
			copying = false
		}
		_, err := w.Write(chunk)
		return err
	})
	if err != nil {
		return err
	}
	if missing := missingTables(keep, found); len(missing) > 0 {
		return fmt.Errorf("--table %s: not in the snapshot's dump (no rows of it were saved)", strings.Join(missing, ", "))
	}
	return w.Flush()
}

func missingTables(keep, found map[tableKey]bool) []string {
	var out []string
	for k := range keep {
		if !found[k] {
			out = append(out, k.String())
		}
	}
	sort.Strings(out)
	return out
}
