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
	n := len(p)
	c.bytes += int64(n)
	for len(p) > 0 {
		if c.inInsert {
			p = c.insert(p)
		} else {
			p = c.text(p)
		}
	}
	return n, nil
}

// insert follows an INSERT statement through p and returns what is left
// of p when the statement ends. Quoted strings, most of a dump's bytes,
// are skipped with bytes.IndexByte rather than byte by byte.
func (c *counter) insert(p []byte) []byte {
	for len(p) > 0 && c.inInsert {
		if c.quote == 0 {
			c.insertByte(p[0])
			p = p[1:]
			continue
		}
		if c.esc {
			c.esc = false
			p = p[1:]
			continue
		}
		p = c.skipQuoted(p)
	}
	return p
}

// skipQuoted consumes p up to and including the quote that closes the
// open string (all of p when it stays open), minding backslash escapes
// (none in backquoted identifiers). A quote is escaped when an odd run of
// backslashes precedes it, so a string costs one search for its quote
// rather than one per escape (a JSON value holds dozens of \").
func (c *counter) skipQuoted(p []byte) []byte {
	from := 0 // p[from] is never escaped: the caller consumed a pending escape
	for {
		end := bytes.IndexByte(p[from:], c.quote)
		if end < 0 {
			c.esc = c.quote != '`' && backslashes(p[from:])%2 == 1
			return nil
		}
		end += from
		if c.quote == '`' || backslashes(p[from:end])%2 == 0 {
			c.quote = 0
			return p[end+1:]
		}
		from = end + 1 // an escaped quote: the string goes on
	}
}

// backslashes counts the backslashes p ends with.
func backslashes(p []byte) int {
	n := 0
	for n < len(p) && p[len(p)-1-n] == '\\' {
		n++
	}
	return n
}

// text reads p outside INSERT statements, up to the end of p or to the
// start of an INSERT's values, and returns the rest.
func (c *counter) text(p []byte) []byte {
	for i, b := range p {
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
			return p[i+1:]
		}
	}
	return nil
}

// insertByte follows an INSERT statement outside quoted strings: every
// "(" at depth 0 starts a row; ";" at depth 0 ends the statement.
func (c *counter) insertByte(b byte) {
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
