package postgres

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestCounterSplits counts the same dump read in pieces of every size
// from 1 byte up, so that a line or a COPY block's end cut between two
// reads is counted once, and lines that only look like the end (`\.x`,
// a value ending in an escaped backslash and a dot) count as rows.
func TestCounterSplits(t *testing.T) {
	dump := "SET x = 1;\n" +
		"COPY public.a (id, v) FROM stdin;\n1\tx\n2\t\\\\.\n3\t\\.x\n\\.x\n" + strings.Repeat("z", 300) + "\n\\.\n" +
		"COPY public.b (id) FROM stdin;\n\\.\n" +
		"COPY public.c (id) FROM stdin;\n7\n\\.\n" + trailer + "\n"
	want := map[string]int64{"public.a": 5, "public.b": 0, "public.c": 1}
	for size := 1; size <= len(dump); size++ {
		c := newCounter(&pieces{s: dump, n: size})
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("pieces of %d: %v", size, err)
		}
		for k, n := range want {
			if c.rows[k] != n {
				t.Fatalf("pieces of %d: %s has %d rows, want %d (%v)", size, k, c.rows[k], n, c.rows)
			}
		}
	}
	c := newCounter(iotest.HalfReader(strings.NewReader(dump)))
	if _, err := io.Copy(io.Discard, c); err != nil || c.total() != 6 {
		t.Fatalf("half reads: %d rows, %v", c.total(), err)
	}
}

// pieces reads s n bytes at a time.
type pieces struct {
	s string
	n int
}

func (p *pieces) Read(b []byte) (int, error) {
	if p.s == "" {
		return 0, io.EOF
	}
	k := copy(b[:min(len(b), p.n)], p.s)
	p.s = p.s[k:]
	return k, nil
}
