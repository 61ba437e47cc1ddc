package postgres

import (
	"testing"

	"github.com/velinhq/velin/engine/repo/snaptest"
	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

func setup(t testing.TB) sourcetest.Fixture {
	live := richDB(t)
	src := newSource(t, Options{DSN: live, ExcludeTableData: []string{"public.scratch"}})
	return sourcetest.Fixture{
		Source: src,
		Live:   live,
		Dest: func(dir string) (string, string) {
			to := dbtest.Postgres(t)
			return to, to
		},
		Mutate: func(t testing.TB) []string {
			pgExec(t, live, `INSERT INTO shop.orders (customer_id, placed, total) VALUES (1, '2026-03-01', 9.5);
				DELETE FROM "Odd Schema"."Tablé ""quoted""" WHERE "value x" = 1;
				UPDATE shop.customers SET profile = '{"changed": true}' WHERE id < 5;
				SELECT setval('public.tickets', 2000);`)
			return []string{src.conn.database}
		},
		Capture: func(t testing.TB) func(testing.TB, string) {
			want := content(t, live)
			return func(t testing.TB, at string) {
				t.Helper()
				got := content(t, at)
				// exclude_table_data: the restored copy has no scratch rows.
				sameContent(t, scratchless(want), scratchless(got))
			}
		},
	}
}

func TestSuite(t *testing.T) {
	sourcetest.Run(t, harness(nil))
}

// TestSuiteRealRepository runs the same suite against the engine's
// repository (encrypted, on disk) instead of the in-memory stand-in.
func TestSuiteRealRepository(t *testing.T) {
	h := harness(snaptest.Snapshots(t))
	h.Kill = &sourcetest.Kill{
		Repo: snaptest.Shared,
		Reopen: func(t testing.TB, live, tool string) provider.Source {
			return newSource(t, Options{DSN: live, ExcludeTableData: []string{"public.scratch"}, PgDumpPath: tool})
		},
		SleepingTool: func(t testing.TB, mark string) string {
			return fakeTool(t, "pg_dump", versionCase+"\necho $$ > "+mark+"\necho 'COPY public.t (a) FROM stdin;'\nexec sleep 300")
		},
		Grow: func(t testing.TB, fx sourcetest.Fixture) {
			pgExec(t, fx.Live, `CREATE TABLE public.filler AS
				SELECT g AS id, repeat(md5(g::text), 4) AS pad FROM generate_series(1, 20000) g`)
		},
		DumpTool:    "pg_dump",
		RestoreTool: "psql",
		// A restore replays into the live database in one transaction:
		// it stages nothing a killed run could leave. A test restore
		// does: velin_verify_* databases.
		InPlace: true,
		Leftovers: func(t testing.TB, _ sourcetest.Fixture) []string {
			return scalar[[]string](t, dbtest.PostgresAdmin(),
				`SELECT coalesce(array_agg(datname), '{}') FROM pg_database WHERE datname LIKE 'velin\_verify\_%'`)
		},
	}
	sourcetest.Run(t, h)
}

func harness(snap func(testing.TB, provider.Tree) (provider.Sink, func() provider.Tree)) sourcetest.Harness {
	h := sourcetest.Harness{Setup: setup, NewSnapshot: snap}
	h.Asserts.True = provider.Assert{Name: "customers", SQL: "SELECT count(*) = 150 FROM shop.customers"}
	h.Asserts.False = provider.Assert{Name: "none", SQL: "SELECT count(*) > 1000000 FROM shop.customers"}
	return h
}
