package postgres

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

func TestRecover(t *testing.T) {
	s := newSource(t, Options{DSN: "postgres://app:pw-9@db.example:5433/app", Databases: []string{"app", "billing"}})
	id := s.identity()
	if strings.Contains(id, "pw-9") {
		t.Fatalf("identity %q holds the password", id)
	}
	r, err := Recover(id)
	if err != nil {
		t.Fatal(err)
	}
	if r.identity() != id || r.conn.password != "" && r.conn.password != os.Getenv("PGPASSWORD") || r.conn.port != 5433 {
		t.Errorf("recovered %q (%+v), want %q", r.identity(), r.conn, id)
	}
	if _, err := Recover("no-at-sign"); err == nil {
		t.Error("recover of a malformed identity succeeded")
	}
}

// BenchmarkCounter measures how fast rows are counted in a dump as it
// streams by (the cost added to every backup and test restore).
func BenchmarkCounter(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("COPY public.t (id, name, note) FROM stdin;\n")
	for i := 0; sb.Len() < 64<<20; i++ {
		fmt.Fprintf(&sb, "%d\tname %d\t%s\n", i, i, strings.Repeat("x", i%200))
	}
	sb.WriteString("\\.\n" + trailer + "\n")
	dump := sb.String()
	b.SetBytes(int64(len(dump)))
	b.ResetTimer()
	for range b.N {
		c := newCounter(strings.NewReader(dump))
		if _, err := io.Copy(io.Discard, c); err != nil || c.total() == 0 {
			b.Fatal(err)
		}
	}
}
