package postgres

import (
	"context"
	"io"
	"os/exec"
	"testing"

	"github.com/velinhq/velin/engine/repo/snaptest"
	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
)

// benchDB is a database of 1,000,000 rows (about 90 MB of dump).
func benchDB(b *testing.B) string {
	dsn := dbtest.Postgres(b)
	pgExec(b, dsn, `CREATE TABLE t (id bigint PRIMARY KEY, name text, score float8, at timestamptz);
		INSERT INTO t SELECT i, md5(i::text) || md5((i * 7)::text), random(), now() - i * interval '1 second'
		FROM generate_series(1, 1000000) i; ANALYZE t`)
	return dsn
}

// BenchmarkBackup: the whole backup (pg_dump, row count, chunking,
// compression, encryption into the real repository) against pg_dump
// alone writing to /dev/null.
func BenchmarkBackup(b *testing.B) {
	dsn := benchDB(b)
	s := newSource(b, Options{DSN: dsn})
	newSnap := snaptest.Snapshots(b)
	b.Run("velin", func(b *testing.B) {
		for range b.N {
			sink, finish := newSnap(b, nil)
			if _, err := s.Backup(context.Background(), sink, optsNone); err != nil {
				b.Fatal(err)
			}
			finish()
		}
	})
	b.Run("pg_dump", func(b *testing.B) {
		for range b.N {
			cmd := exec.Command("pg_dump", "--format=plain", "--clean", "--if-exists")
			cmd.Env, cmd.Stdout = s.conn.env(), io.Discard
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRestore: velin's restore of the benchmark database from an
// encrypted repository (read, decrypt, decompress, feed psql in one
// transaction) against psql replaying a plain dump from a local file,
// with and without --single-transaction.
func BenchmarkRestore(b *testing.B) {
	dsn := benchDB(b)
	s := newSource(b, Options{DSN: dsn})
	sink, finish := snaptest.Snapshots(b)(b, nil)
	if _, err := s.Backup(context.Background(), sink, optsNone); err != nil {
		b.Fatal(err)
	}
	tree := finish()
	file := b.TempDir() + "/dump.sql"
	dump := exec.Command("pg_dump", "--format=plain", "--clean", "--if-exists", "--file="+file)
	dump.Env = s.conn.env()
	if out, err := dump.CombinedOutput(); err != nil {
		b.Fatalf("pg_dump: %v: %s", err, out)
	}
	b.Run("velin", func(b *testing.B) {
		for range b.N {
			if err := s.Restore(context.Background(), tree, provider.RestoreOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for name, args := range map[string][]string{"psql": nil, "psql-1": {"--single-transaction"}} {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				cmd := exec.Command("psql", append([]string{"--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
					"--output=/dev/null", "--file=" + file}, args...)...)
				cmd.Env = s.conn.env()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("psql: %v: %s", err, out)
				}
			}
		})
	}
}
