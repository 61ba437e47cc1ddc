package postgres

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
)

// richSchema exercises what a dump must carry: several schemas, quoted and
// non-ASCII names, extensions, enums, JSONB, bytea, large objects,
// sequences, generated columns, partitions, views, materialized views,
// functions and triggers, comments, foreign keys and indexes.
const richSchema = `
CREATE EXTENSION pgcrypto;
CREATE EXTENSION citext;
CREATE SCHEMA shop;
CREATE SCHEMA "Odd Schema";
CREATE TYPE shop.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE shop.customers (
	id bigserial PRIMARY KEY,
	email citext UNIQUE NOT NULL,
	mood shop.mood NOT NULL DEFAULT 'ok',
	profile jsonb,
	avatar bytea,
	secret bytea DEFAULT gen_random_bytes(4),
	name_upper text GENERATED ALWAYS AS (upper(email::text)) STORED
);
COMMENT ON TABLE shop.customers IS 'people who buy';
CREATE INDEX customers_profile ON shop.customers USING gin (profile);
CREATE TABLE shop.orders (
	id serial,
	customer_id bigint NOT NULL REFERENCES shop.customers(id),
	placed date NOT NULL,
	total numeric(10,2)
,
	PRIMARY KEY (id, placed)
) PARTITION BY RANGE (placed);
CREATE TABLE shop.orders_2025 PARTITION OF shop.orders FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE shop.orders_2026 PARTITION OF shop.orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX orders_placed ON shop.orders (placed);
CREATE TABLE shop.notes (id int PRIMARY KEY, o int, placed date, FOREIGN KEY (o, placed) REFERENCES shop.orders (id, placed));
CREATE TABLE "Odd Schema"."Tablé ""quoted""" ("Ключ" text PRIMARY KEY, "value x" int);
CREATE TABLE public.audit (id serial PRIMARY KEY, what text, at timestamptz DEFAULT now());
CREATE TABLE public.scratch (id int);
CREATE FUNCTION shop.log_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.audit (what) VALUES ('order ' || NEW.id); RETURN NEW; END $$;
CREATE TRIGGER orders_log AFTER INSERT ON shop.orders_2026 FOR EACH ROW EXECUTE FUNCTION shop.log_order();
CREATE VIEW shop.big_orders AS SELECT * FROM shop.orders WHERE total > 100;
CREATE MATERIALIZED VIEW shop.order_totals AS SELECT customer_id, sum(total) AS total FROM shop.orders GROUP BY 1;
CREATE SEQUENCE public.tickets START 1000;
INSERT INTO shop.customers (email, mood, profile, avatar)
	SELECT 'User' || i || '@example.com', (ARRAY['sad','ok','happy'])[1 + i % 3]::shop.mood,
	       jsonb_build_object('n', i, 'tags', jsonb_build_array('a', i)), decode(repeat('00ff', i), 'hex')
	FROM generate_series(1, 150) i;
INSERT INTO shop.orders (customer_id, placed, total)
	SELECT 1 + i % 150, DATE '2025-06-01' + (i * 2), i * 1.5 FROM generate_series(1, 200) i;
INSERT INTO "Odd Schema"."Tablé ""quoted""" VALUES ('ключ-1', 1), ('tab	and \ backslash', 2), ('line
break', 3);
INSERT INTO public.scratch SELECT generate_series(1, 40);
REFRESH MATERIALIZED VIEW shop.order_totals;
SELECT setval('public.tickets', 1234);
SELECT lo_from_bytea(0, 'large object content');
ANALYZE;
`

// pgExec runs statements on dsn.
func pgExec(t testing.TB, dsn, sql string, args ...any) {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%.80s: %v", sql, err)
	}
}

// richDB creates a fresh database with richSchema and returns its DSN.
func richDB(t testing.TB) string {
	dsn := dbtest.Postgres(t)
	pgExec(t, dsn, richSchema)
	return dsn
}

var volatile = regexp.MustCompile(`(?m)^(\\restrict|\\unrestrict|-- Dumped from|-- Dumped by).*\n`)

// content is a database's whole content as a normalised plain dump.
func content(t testing.TB, dsn string) string {
	t.Helper()
	c, err := parseConn(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("pg_dump", "--format=plain", "--no-password")
	cmd.Env = c.env()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg_dump %s: %v", c.database, err)
	}
	return volatile.ReplaceAllString(string(out), "")
}

// sameContent fails t unless two dumps hold the same lines (pg_dump may
// order objects of equal rank differently in a restored copy).
func sameContent(t testing.TB, want, got string) {
	t.Helper()
	count := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		count[l]--
	}
	var diff []string
	for l, n := range count {
		if n != 0 {
			diff = append(diff, fmt.Sprintf("%+d %.120q", -n, l))
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Fatalf("restored content differs (+ extra, - missing lines):\n%s", strings.Join(diff[:min(len(diff), 20)], "\n"))
	}
}

func sortedLines(s string) string {
	l := strings.Split(s, "\n")
	sort.Strings(l)
	return strings.Join(l, "\n")
}

var optsNone = provider.BackupOptions{}

func newSource(t testing.TB, opts Options) *Source {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var scratchRows = regexp.MustCompile(`(COPY public\.scratch \(id\) FROM stdin;\n)(?:.*\n)*?\\\.\n`)

// scratchless drops the rows of public.scratch (exclude_table_data).
func scratchless(dump string) string {
	return scratchRows.ReplaceAllString(dump, "${1}\\.\n")
}
