package postgres

import (
	"bytes"
	"errors"
	"io"
	"strings"
)

// maxLine is how much of a line outside COPY data the counter keeps: enough
// for any COPY statement naming its columns.
const maxLine = 64 << 10

// trailer is the last comment of a dump pg_dump finished.
const trailer = "-- PostgreSQL database dump complete"

// errTruncated means a dump ended before pg_dump's closing comment.
var errTruncated = errors.New("dump ends before its closing comment (pg_dump did not finish)")

// counter reads a plain-format dump as it streams by and counts the rows
// of every COPY block, by the table name the COPY statement gives.
type counter struct {
	r      io.Reader
	line   []byte
	long   bool // the current line outgrew maxLine
	inCopy bool
	table  string
	copied int64    // rows of the current COPY block (added to rows at its end)
	tables []string // in dump order
	rows   map[string]int64
	// created: the tables the dump creates (CREATE TABLE), with or
	// without a COPY block of rows (exclude_table_data leaves it out)
	created map[string]bool
	done    bool // the closing comment was seen
	// roles: the roles statements name as owner or grantee (noteRoles)
	roles map[string]bool
	// globals: a pg_dumpall dump, which has no closing comment of its own
	globals bool
}

func newCounter(r io.Reader) *counter {
	return &counter{r: r, rows: map[string]int64{}, created: map[string]bool{}}
}

// Read passes the dump on, counting; at EOF it fails unless the dump was
// complete, so that a truncated dump never counts as a backup.
func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.scan(p[:n])
	if err == io.EOF {
		if len(c.line) > 0 {
			c.endLine()
		}
		if c.inCopy { // cut short: keep what was counted
			c.rows[c.table] += c.copied
			c.copied = 0
		}
		if !c.done && !c.globals {
			return n, errTruncated
		}
	}
	return n, err
}

// Write lets a counter count what is copied elsewhere (io.TeeReader).
func (c *counter) Write(p []byte) (int, error) {
	c.scan(p)
	return len(p), nil
}

// scan counts p. Inside COPY data, whole lines are counted in a tight
// loop that allocates nothing: a dump is mostly such lines.
func (c *counter) scan(p []byte) {
	for len(p) > 0 {
		if c.inCopy && len(c.line) == 0 && !c.long {
			p = c.copyLines(p)
			continue
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.add(p)
			return
		}
		c.add(p[:i])
		c.endLine()
		p = p[i+1:]
	}
}

// copyLines counts the whole lines of COPY data at the start of p (p
// starts a line) up to the block's end, and returns the rest of p.
func (c *counter) copyLines(p []byte) []byte {
	for c.inCopy {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.add(p)
			return nil
		}
		if i == 2 && p[0] == '\\' && p[1] == '.' {
			c.endCopy()
		} else {
			c.copied++
		}
		p = p[i+1:]
	}
	return p
}

// endCopy closes the current COPY block.
func (c *counter) endCopy() {
	c.rows[c.table] += c.copied
	c.copied, c.inCopy = 0, false
}

func (c *counter) add(p []byte) {
	if c.long {
		return
	}
	keep := maxLine
	if c.inCopy {
		keep = 3 // only `\.` matters inside COPY data
	}
	if len(c.line)+len(p) > keep {
		c.line = append(c.line, p[:max(0, keep-len(c.line))]...)
		c.long = true
		return
	}
	c.line = append(c.line, p...)
}

func (c *counter) endLine() {
	long := c.long
	c.long = false
	if c.inCopy {
		if !long && string(c.line) == `\.` {
			c.endCopy()
		} else {
			c.copied++
		}
		c.line = c.line[:0]
		return
	}
	line := string(c.line)
	c.line = c.line[:0]
	if long {
		return
	}
	if strings.HasPrefix(line, "COPY ") && strings.HasSuffix(line, " FROM stdin;") {
		c.table = copyTable(line[len("COPY "):])
		c.inCopy = true
		if _, ok := c.rows[c.table]; !ok {
			c.tables = append(c.tables, c.table)
			c.rows[c.table] = 0
		}
		return
	}
	if name, ok := createdTable(line); ok {
		c.created[name] = true
		return
	}
	c.noteRoles(line)
	if strings.HasPrefix(line, trailer) {
		c.done = true
	}
}

// createdTable returns the table a pg_dump CREATE TABLE statement creates
// (not a foreign table: its rows are elsewhere). Like the COPY lines, it
// goes by the start of a line: a function body whose own line starts with
// CREATE TABLE would add a name, which at worst makes a restore plan call
// a table emptied that the restore keeps (a warning too many, never one
// too few).
func createdTable(line string) (string, bool) {
	for _, p := range []string{"CREATE TABLE ", "CREATE UNLOGGED TABLE "} {
		if rest, ok := strings.CutPrefix(line, p); ok {
			return copyTable(rest), true
		}
	}
	return "", false
}

// copyTable returns the table name at the start of s: up to the first
// space outside double quotes.
func copyTable(s string) string {
	quoted := false
	for i, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ' ' && !quoted:
			return s[:i]
		}
	}
	return s
}

// total is the rows of every table.
func (c *counter) total() int64 {
	var n int64
	for _, v := range c.rows {
		n += v
	}
	return n
}
