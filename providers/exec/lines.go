package exec

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxLine is how much of a line is buffered; a longer line is passed on in
// pieces, without breaking it, so the redacting log below still sees it
// whole.
const maxLine = 64 << 10

// maxTailLine is how much of each remembered line an error quotes.
const maxTailLine = 512

// lineWriter writes the output to w, each line prefixed, and remembers the
// last few lines. Safe for concurrent use.
type lineWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
	cont   bool   // the current line was begun (prefix written)
	cur    []byte // the start of the current line, for the tail
	tail   []string
	keep   int
}

func newLineWriter(w io.Writer, prefix string, keep int) *lineWriter {
	if w == nil {
		w = io.Discard
	}
	return &lineWriter{w: w, prefix: prefix, keep: keep}
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			if len(l.buf) >= maxLine {
				l.emit(l.buf, false)
				l.buf = l.buf[:0]
			}
			return len(p), nil
		}
		l.emit(bytes.TrimSuffix(l.buf[:i], []byte("\r")), true)
		l.buf = l.buf[i+1:]
	}
}

// emit writes a piece of a line (the end of it when end is true). Errors
// writing the log do not stop the command.
func (l *lineWriter) emit(piece []byte, end bool) {
	if !l.cont {
		_, _ = io.WriteString(l.w, l.prefix)
	}
	_, _ = l.w.Write(piece)
	l.cont = !end
	if room := 8*maxTailLine - len(l.cur); room > 0 {
		l.cur = append(l.cur, piece[:min(room, len(piece))]...)
	}
	if !end {
		return
	}
	_, _ = io.WriteString(l.w, "\n")
	l.tail = append(l.tail, string(l.cur))
	l.cur = l.cur[:0]
	if len(l.tail) > l.keep {
		l.tail = l.tail[1:]
	}
}

// Flush writes a last line that had no newline.
func (l *lineWriter) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 || l.cont {
		l.emit(l.buf, true)
		l.buf = nil
	}
}

// Tail returns the last lines written, each masked with redact (when not
// nil) and then cut to maxTailLine bytes.
func (l *lineWriter) Tail(redact func(string) string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(l.tail))
	for i, line := range l.tail {
		if redact != nil {
			line = redact(line)
		}
		out[i] = cut(line, maxTailLine)
	}
	return strings.Join(out, "\n")
}

// cut shortens s to at most n bytes on a character boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + " … (cut)"
}
