package postgres

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"
)

// TestFeedAll: the statements feedAll rewrites are rewritten outside COPY
// data only, and everything else reaches psql byte for byte, whatever
// the size of the reads.
func TestFeedAll(t *testing.T) {
	set := "SET lock_timeout = 0;\n"
	drop := "ALTER TABLE IF EXISTS ONLY public.p1 DROP CONSTRAINT IF EXISTS p1_pkey;\n"
	data := "1\t" + strings.Repeat("x", 300<<10) + "\n" + set + drop + "\\.x\n"
	dump := set + drop + "COPY public.t (id, v) FROM stdin;\n" + data + "\\.\n" + set + trailer + "\n"
	wantSet := "SET lock_timeout = '5ms';\n"
	wantDrop := "DO $velin$ BEGIN IF NOT coalesce((SELECT relispartition FROM pg_catalog.pg_class WHERE oid = " +
		"pg_catalog.to_regclass('public.p1')), false) THEN " + strings.TrimSuffix(drop, "\n") + " END IF; END $velin$;\n"
	want := wantSet + wantDrop + "COPY public.t (id, v) FROM stdin;\n" + data + "\\.\n" + wantSet + trailer + "\n"
	for _, r := range []func(string) *counter{
		func(s string) *counter { return newCounter(strings.NewReader(s)) },
		func(s string) *counter { return newCounter(iotest.OneByteReader(strings.NewReader(s))) },
		func(s string) *counter { return newCounter(&pieces{s: s, n: 4093}) },
	} {
		var out bytes.Buffer
		c := r(dump)
		if err := feedAll(&out, c, "'5ms'"); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Fatalf("fed %d bytes, want %d:\n%.300q", out.Len(), len(want), out.String())
		}
		if c.rows["public.t"] != 4 {
			t.Errorf("counted %v", c.rows)
		}
	}
}
