package faultproxy

import (
	"net/http"
	"strconv"
)

// truncator passes a response through with its full Content-Length, but
// only the first cut(length) bytes of its body, then aborts the connection,
// as a network path that dies mid-stream does. A response without a body
// or without a Content-Length passes whole.
type truncator struct {
	http.ResponseWriter
	cut     func(size int64) int64
	left    int64 // bytes still allowed; -1 while passing whole
	started bool
}

func (t *truncator) WriteHeader(status int) {
	if !t.started {
		t.started, t.left = true, -1
		if size, err := strconv.ParseInt(t.Header().Get("Content-Length"), 10, 64); err == nil && size > 0 && status < 300 {
			t.left = t.cut(size)
		}
	}
	t.ResponseWriter.WriteHeader(status)
}

func (t *truncator) Write(b []byte) (int, error) {
	if !t.started {
		t.WriteHeader(http.StatusOK)
	}
	if t.left < 0 {
		return t.ResponseWriter.Write(b)
	}
	if int64(len(b)) <= t.left {
		n, err := t.ResponseWriter.Write(b)
		t.left -= int64(n)
		return n, err
	}
	_, _ = t.ResponseWriter.Write(b[:t.left])
	t.left = 0
	_ = http.NewResponseController(t.ResponseWriter).Flush()
	panic(http.ErrAbortHandler)
}

// Flush lets the reverse proxy flush through the truncator.
func (t *truncator) Flush() {
	_ = http.NewResponseController(t.ResponseWriter).Flush()
}
