package mysql

import (
	"bytes"
	"strings"
)

// counter reads a dump as it streams past (an io.Writer for a TeeReader)
// and counts exactly what it holds: the value tuples of the INSERT
// statements between `LOCK TABLES t WRITE;` and `UNLOCK TABLES;` (the data
// section the dump tools write for each table), per table; the CREATE
// TABLE statements; the "-- Dump completed" trailers. Its memory is
// bounded: it keeps only the head of the current line.
type counter struct {
	rows     map[string]int64 // per table; a table without data has 0
	total    int64
	tables   int64
	complete int
	bytes    int64

	head     []byte // the current line, up to maxHead bytes
	inData   bool   // between LOCK TABLES and UNLOCK TABLES
	table    string // the table of the data section
	inInsert bool
	quote    byte // the open quote inside an INSERT, 0 outside
	esc      bool
	depth    int
}

const maxHead = 1024

func newCounter() *counter { return &counter{rows: map[string]int64{}} }

// Write implements io.Writer; it never fails.
func (c *counter) Write(p []byte) (int, error) {
	c.bytes += int64(len(p))
	for _, b := range p {
		if c.inInsert {
			c.insertByte(b)
			continue
		}
		if b == '\n' {
			c.line(string(c.head))
			c.head = c.head[:0]
			continue
		}
		if len(c.head) < maxHead {
			c.head = append(c.head, b)
		}
		if c.inData && len(c.head) == len("INSERT INTO ") && string(c.head) == "INSERT INTO " {
			c.inInsert, c.quote, c.esc, c.depth = true, 0, false, 0
		}
	}
	return len(p), nil
}

// insertByte follows an INSERT statement: every "(" at depth 0 outside a
// quoted string starts a row; ";" at depth 0 ends the statement.
func (c *counter) insertByte(b byte) {
	if c.quote != 0 {
		switch {
		case c.esc:
			c.esc = false
		case b == '\\' && c.quote != '`':
			c.esc = true
		case b == c.quote:
			c.quote = 0
		}
		return
	}
	switch b {
	case '\'', '"', '`':
		c.quote = b
	case '(':
		if c.depth == 0 {
			c.rows[c.table]++
			c.total++
		}
		c.depth++
	case ')':
		c.depth--
	case ';':
		if c.depth == 0 {
			c.inInsert = false
			c.head = append(c.head[:0], "INSERT"...) // the rest of the line is not a new statement
		}
	}
}

// line looks at one whole line outside INSERT statements.
func (c *counter) line(l string) {
	switch {
	case strings.HasPrefix(l, "LOCK TABLES `") && strings.HasSuffix(l, "` WRITE;"):
		c.inData = true
		c.table = unquoteIdent(strings.TrimSuffix(strings.TrimPrefix(l, "LOCK TABLES "), " WRITE;"))
		c.rows[c.table] += 0
	case l == "UNLOCK TABLES;":
		c.inData = false
	case strings.HasPrefix(l, "CREATE TABLE `"):
		c.tables++
		if name, ok := leadingIdent(strings.TrimPrefix(l, "CREATE TABLE ")); ok {
			c.rows[name] += 0
		}
	case strings.HasPrefix(l, "-- Dump completed"):
		c.complete++
	}
}

// unquoteIdent reads a whole backquoted identifier.
func unquoteIdent(s string) string {
	name, _ := leadingIdent(s)
	return name
}

// leadingIdent reads the backquoted identifier s starts with.
func leadingIdent(s string) (string, bool) {
	if !strings.HasPrefix(s, "`") {
		return "", false
	}
	var b bytes.Buffer
	for i := 1; i < len(s); i++ {
		if s[i] != '`' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '`' {
			b.WriteByte('`')
			i++
			continue
		}
		return b.String(), true
	}
	return "", false
}
