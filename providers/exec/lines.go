package exec

import (
	"bytes"
	"io"
	"strings"
	"sync"
)

// maxLine is the longest line kept whole; longer ones are split.
const maxLine = 64 << 10

// lineWriter writes complete lines, prefixed, to w, and remembers the last
// few. Safe for concurrent use.
type lineWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
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
		if i < 0 && len(l.buf) < maxLine {
			return len(p), nil
		}
		cut, skip := i, 1
		if i < 0 {
			cut, skip = maxLine, 0
		}
		l.emit(string(l.buf[:cut]))
		l.buf = l.buf[cut+skip:]
	}
}

// emit writes one line. Errors writing the log do not stop the command.
func (l *lineWriter) emit(line string) {
	line = strings.TrimSuffix(line, "\r")
	_, _ = io.WriteString(l.w, l.prefix+line+"\n")
	l.tail = append(l.tail, line)
	if len(l.tail) > l.keep {
		l.tail = l.tail[1:]
	}
}

// Flush writes a last line that had no newline.
func (l *lineWriter) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.emit(string(l.buf))
		l.buf = nil
	}
}

// Tail returns the last lines written.
func (l *lineWriter) Tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.tail, "\n")
}
