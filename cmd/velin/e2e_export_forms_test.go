package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/velinhq/velin/providers/dbtest"
)

// TestExportRestoreFileFlag: `restore --file X` restores from X when X is
// an export, known by its first bytes (not its name), while -f still
// names the plan file everywhere else.
func TestExportRestoreFileFlag(t *testing.T) {
	p := newProject(t, filesPlanPaths(`["data"]`))
	p.write("data/a.txt", "version 1")
	p.must("-f", "velin.hcl", "backup", "create")
	id := p.snapshots()[0].ID
	p.must("backup", "export", id, "--plain", "--out", "snap.zip")
	if err := os.Rename(p.path("snap.zip"), p.path("snap.bin")); err != nil {
		t.Fatal(err)
	}
	p.write("data/a.txt", "version 2")
	r := p.must("backup", "restore", "--file", "snap.bin", "--yes")
	wantIn(t, "restore --file", r.stdout, id, "export snap.bin")
	if b, _ := os.ReadFile(p.path("data/a.txt")); string(b) != "version 1" {
		t.Errorf("restore --file left data/a.txt = %q", b)
	}
	if r := p.run("backup", "restore", "--file", "snap.bin", "--zip", "snap.bin", "--yes"); r.code != 1 || !strings.Contains(r.stderr, "both exports") {
		t.Errorf("--file and --zip both exports: %s", r)
	}
	// -f with the plan: a restore from the repository, as before.
	p.write("data/a.txt", "version 3")
	r = p.must("-f", "velin.hcl", "backup", "restore", "latest", "--yes")
	wantIn(t, "restore -f velin.hcl", r.stdout, id, "local.disk")
	if b, _ := os.ReadFile(p.path("data/a.txt")); string(b) != "version 1" {
		t.Errorf("restore -f velin.hcl left data/a.txt = %q", b)
	}
}

// TestExportZstdDumps: --compress zstd writes "<db>.sql.zst" that
// `zstd -d | psql` restores by hand, and that restore --zip and import
// read as they read a plain dump.
func TestExportZstdDumps(t *testing.T) {
	zstdBin := handTool(t, "zstd")
	handTool(t, "psql")
	live := dbtest.Postgres(t)
	pgExec(t, live, `CREATE TABLE items (id int PRIMARY KEY, name text)`,
		`INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g`)
	p := newProject(t, `
target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}
source "postgres" "app" {
  dsn = env("APP_DSN")
}
backup "nightly" {
  sources = [source.postgres.app]
  target  = target.local.disk
}
`)
	p.env = append(p.env, "APP_DSN="+live)
	p.must("backup", "create")
	id := p.snapshots()[0].ID
	p.must("backup", "export", id, "--plain", "--compress", "zstd", "--out", "snap.zip")
	if r := p.run("backup", "export", id, "--plain", "--compress", "brotli", "--out", "x.zip"); r.code != 1 || !strings.Contains(r.stderr, "--compress zstd") {
		t.Errorf("--compress brotli: %s", r)
	}

	db := strings.SplitN(live[strings.LastIndex(live, "/")+1:], "?", 2)[0]
	dump := extractEntry(t, p.path("snap.zip"), "postgres.app/"+db+".sql.zst")
	pgExec(t, live, `DROP TABLE items`)
	dir := filepath.Dir(dump)
	shell(t, dir, "", "zstd", "-q", "-d", dump, "-o", filepath.Join(dir, db+".sql"))
	shell(t, dir, "", "psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", live, "-f", db+".sql")
	if n := pgScalar(t, live, `SELECT count(*) FROM items`); n != 500 {
		t.Fatalf("zstd -d | psql restored %d rows, want 500 (%s)", n, zstdBin)
	}

	pgExec(t, live, `DELETE FROM items WHERE id > 100`)
	p.must("backup", "restore", "--zip", "snap.zip", "--yes")
	if n := pgScalar(t, live, `SELECT count(*) FROM items`); n != 500 {
		t.Errorf("restore --zip of a zstd export: %d rows, want 500", n)
	}
	p.must("backup", "delete", id, "--yes")
	p.must("backup", "import", "snap.zip")
	pgExec(t, live, `DELETE FROM items WHERE id > 100`)
	p.must("backup", "restore", id, "--yes")
	if n := pgScalar(t, live, `SELECT count(*) FROM items`); n != 500 {
		t.Errorf("restore of an imported zstd export: %d rows, want 500", n)
	}
}

// extractEntry copies one entry of a plain ZIP into a temporary file.
func extractEntry(t *testing.T, zipPath, name string) string {
	t.Helper()
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		out := filepath.Join(t.TempDir(), filepath.Base(name))
		w, err := os.Create(out)
		if err == nil {
			_, err = w.ReadFrom(rc)
			w.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	t.Fatalf("no %s in the export: %v", name, names)
	return ""
}
