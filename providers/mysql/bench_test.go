package mysql

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/velinhq/velin/engine/repo/snaptest"
	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
)

// benchDB fills a database with VELIN_BENCH_MYSQL_ROWS rows (default
// 100,000) of random hex filler, about 300 bytes a row.
func benchDB(b *testing.B) string {
	rows := 100_000
	if v, err := strconv.Atoi(os.Getenv("VELIN_BENCH_MYSQL_ROWS")); err == nil && v > 0 {
		rows = v
	}
	u := dbtest.MySQL(b)
	db := dbtest.OpenMySQL(b, dbOf(b, u))
	defer db.Close()
	mustExec(b, db, `CREATE TABLE items (id INT PRIMARY KEY, a INT, filler VARCHAR(300))`)
	mustExec(b, db, `INSERT INTO items SELECT seq, seq % 97, CONCAT(SHA2(RAND(), 512), SHA2(RAND(), 256), SHA2(RAND(), 256))
		FROM seq_1_to_`+strconv.Itoa(rows))
	return u
}

// shell runs a pipeline with the source's defaults file (no password in
// argv) as $CNF.
func shell(b *testing.B, s *Source, pipeline string) {
	cnf, err := s.c.defaultsFile()
	if err != nil {
		b.Fatal(err)
	}
	defer cnf.Close()
	cmd := exec.Command("sh", "-c", pipeline)
	cmd.ExtraFiles = []*os.File{cnf}
	cmd.Env = append(os.Environ(), "CNF=/dev/fd/3", "DB="+s.dbs[0])
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s: %v\n%s", pipeline, err, out)
	}
}

// BenchmarkBackup compares velin's backup of a MariaDB database into an
// encrypted repository with the dump alone and the dump piped to zstd.
func BenchmarkBackup(b *testing.B) {
	u := benchDB(b)
	s := newSource(b, Options{DSN: u})
	var size int64
	b.Run("velin", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			snaps := snaptest.Snapshots(b) // a fresh repository: nothing deduplicates against an earlier run
			b.StartTimer()
			sink, finish := snaps(b, nil)
			f, err := s.Backup(context.Background(), sink, provider.BackupOptions{})
			if err != nil {
				b.Fatal(err)
			}
			finish()
			size = f.Bytes
		}
		b.SetBytes(size)
	})
	dump := `mariadb-dump --defaults-extra-file=$CNF --host=127.0.0.1 --protocol=TCP --single-transaction --routines --triggers --events --hex-blob --skip-dump-date "$DB"`
	b.Run("dump-zstd", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			shell(b, s, dump+" | zstd -T0 -q -c > /dev/null")
		}
	})
	b.Run("dump-null", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; i < b.N; i++ {
			shell(b, s, dump+" > /dev/null")
		}
	})
}

// BenchmarkRestore compares velin's restore (load into a scratch schema,
// check, swap) with the client replaying the dump from a local file.
func BenchmarkRestore(b *testing.B) {
	u := benchDB(b)
	s := newSource(b, Options{DSN: u})
	sink, finish := snaptest.Snapshots(b)(b, nil)
	f, err := s.Backup(context.Background(), sink, provider.BackupOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tree := finish()
	file := b.TempDir() + "/dump.sql"
	shell(b, s, `mariadb-dump --defaults-extra-file=$CNF --host=127.0.0.1 --protocol=TCP --single-transaction --hex-blob "$DB" > `+file)
	b.Run("velin", func(b *testing.B) {
		b.SetBytes(f.Bytes)
		for i := 0; i < b.N; i++ {
			if err := s.Restore(context.Background(), tree, provider.RestoreOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client-from-file", func(b *testing.B) {
		b.SetBytes(f.Bytes)
		for i := 0; i < b.N; i++ {
			shell(b, s, `mariadb --defaults-extra-file=$CNF --host=127.0.0.1 --protocol=TCP "$DB" < `+file)
		}
	})
}
