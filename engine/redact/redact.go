package redact

import (
	"io"
	"sort"
	"strings"
	"sync"
)

// Mask is what a secret is replaced with.
const Mask = "(sensitive)"

// MinSearchLen is the shortest secret the text search masks. A shorter
// secret ("x", "abc") cannot be told apart from ordinary words and paths:
// searching for it would turn every "x" of the output into Mask. Such a
// secret is still never printed where velin knows it is one (it is tracked
// as a value), but text a step prints is not searched for it; `velin
// validate` warns about it.
const MinSearchLen = 8

// Redactor replaces known secret values. The zero value redacts nothing.
// It is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	all     []string // every secret registered
	secrets []string // those searched for (MinSearchLen or longer), longest first
}

// New returns a Redactor for the given secrets; empty values are ignored.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers more secrets.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if s == "" || contains(r.all, s) {
			continue
		}
		r.all = append(r.all, s)
		if Searchable(s) {
			r.secrets = append(r.secrets, s)
		}
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// Searchable says whether s is long enough for the text search.
func Searchable(s string) bool { return len(s) >= MinSearchLen }

// Short lists the registered secrets too short for the text search.
func (r *Redactor) Short() []string {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for _, s := range r.all {
		if !Searchable(s) {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// String returns s with every searchable secret masked.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	out, _ := mask(r.secrets, s, true)
	return out
}

// Error returns err's message with every secret masked ("" for nil).
func (r *Redactor) Error(err error) string {
	if err == nil {
		return ""
	}
	return r.String(err.Error())
}

// mask replaces every secret in s in one left-to-right pass, longest match
// first. Unless final, it stops where the rest of s could be the start of a
// secret still being written, and returns that rest.
func mask(secrets []string, s string, final bool) (string, string) {
	if len(secrets) == 0 {
		return s, ""
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		if sec := matchAt(secrets, s[i:]); sec != "" {
			b.WriteString(Mask)
			i += len(sec)
			continue
		}
		if !final && prefixOfSecret(secrets, s[i:]) {
			return b.String(), s[i:]
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String(), ""
}

func matchAt(secrets []string, s string) string {
	for _, sec := range secrets {
		if strings.HasPrefix(s, sec) {
			return sec
		}
	}
	return ""
}

// prefixOfSecret says whether s (shorter than a secret) starts one.
func prefixOfSecret(secrets []string, s string) bool {
	for _, sec := range secrets {
		if len(s) < len(sec) && strings.HasPrefix(sec, s) {
			return true
		}
	}
	return false
}

// Writer returns a writer that masks secrets in the stream it passes to w.
// It holds back only what could be the beginning of a secret, so a secret
// split across writes (or across lines of any length) is still masked; call
// Flush (or Close) at the end.
func (r *Redactor) Writer(w io.Writer) *Writer {
	return &Writer{r: r, w: w}
}

// Writer is a streaming redacting writer. Safe for concurrent use.
type Writer struct {
	mu   sync.Mutex
	r    *Redactor
	w    io.Writer
	held string
}

// Write masks what it can of the stream so far and writes it.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.r == nil {
		_, err := w.w.Write(p)
		return len(p), err
	}
	w.r.mu.RLock()
	out, rest := mask(w.r.secrets, w.held+string(p), false)
	w.r.mu.RUnlock()
	w.held = rest
	if out == "" {
		return len(p), nil
	}
	_, err := io.WriteString(w.w, out)
	return len(p), err
}

// Flush writes what is held back.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.held == "" {
		return nil
	}
	_, err := io.WriteString(w.w, w.r.String(w.held))
	w.held = ""
	return err
}

// Close flushes.
func (w *Writer) Close() error { return w.Flush() }
