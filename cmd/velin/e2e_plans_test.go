package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/velinhq/velin/providers/dbtest"
)

// planFile reads one of plans/*.velin.hcl, as users copy them.
func planFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "plans", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// recorder returns an exec command (as an HCL list) that appends word and
// its arguments to the project's events file, and the file's path.
func recorder(p *project, word string) string {
	return fmt.Sprintf(`["sh", "-c", "echo %s \"$@\" >> %s", "sh"]`, word, p.path("events"))
}

func events(t *testing.T, p *project) string {
	t.Helper()
	b, _ := os.ReadFile(p.path("events"))
	return strings.TrimSpace(string(b))
}

// TestPlanDjangoPostgresSites runs plans/django-postgres-sites.velin.hcl
// end to end against the real PostgreSQL: the nightly backup with its test
// restore and assertion, then the declared restore with its steps in order.
func TestPlanDjangoPostgresSites(t *testing.T) {
	dsn := dbtest.Postgres(t)
	p := newProject(t, planFile(t, "django-postgres-sites.velin.hcl"))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	pgConnExec(t, conn, `CREATE TABLE django_migrations (id serial PRIMARY KEY, app text, name text);
		INSERT INTO django_migrations (app, name) VALUES ('sites', '0001_initial');
		CREATE TABLE django_session (session_key text PRIMARY KEY, data text);
		INSERT INTO django_session VALUES ('k1', 'secret session');
		CREATE TABLE sites_page (id serial PRIMARY KEY, title text);
		INSERT INTO sites_page (title) SELECT 'page ' || g FROM generate_series(1, 500) g;`)
	p.write("app/manage.py", "")
	p.write("published/example.org/index.html", "<h1>published</h1>")
	p.write("logs/app.log", "started\n")
	// The interpreter records how the migration step ran it.
	p.write("python", "#!/bin/sh\necho migrate \"$@\" DATABASE_URL=${DATABASE_URL:+set} >> "+p.path("events")+"\n")
	if err := os.Chmod(p.path("python"), 0o755); err != nil {
		t.Fatal(err)
	}
	p.write("vars.hcl", fmt.Sprintf("app_dir = %q\nsites_dir = %q\nlogs_dir = %q\nrepo_dir = %q\npython = %q\nworkers_stop = %s\nworkers_start = %s\n",
		p.path("app"), p.path("published"), p.path("logs"), p.path("repo"), p.path("python"),
		recorder(p, "stop"), recorder(p, "start")))
	p.env = append(p.env, "VELIN_VAR_app_database_url="+dsn)

	p.must("plan", "-var-file", "vars.hcl")
	r := p.must("apply", "-var-file", "vars.hcl", "-auto-approve")
	if !strings.Contains(r.stdout+r.stderr, "migrations") {
		t.Errorf("the assertion is not in the output:\n%s", r)
	}
	site := treeDigest(t, p.path("published"))

	pgConnExec(t, conn, `DELETE FROM sites_page WHERE id > 100; INSERT INTO django_session VALUES ('k2', 'new')`)
	p.write("published/example.org/index.html", "<h1>broken</h1>")
	r = p.must("apply", "-var-file", "vars.hcl", "-restore", "site", "-auto-approve")

	if n := pgCount(t, conn, "sites_page"); n != 500 {
		t.Errorf("sites_page has %d rows after the restore, want 500", n)
	}
	if n := pgCount(t, conn, "django_session"); n != 0 {
		t.Errorf("django_session has %d rows: its data is excluded from the snapshot, the restore replaces the database", n)
	}
	if diff := diffDigests(site, treeDigest(t, p.path("published"))); len(diff) > 0 {
		t.Errorf("published sites not restored: %s", diff)
	}
	want := "stop\nmigrate manage.py migrate --noinput DATABASE_URL=set\nstart"
	if got := events(t, p); got != want {
		t.Errorf("steps ran as\n%s\nwant\n%s", got, want)
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, dsn) {
			t.Errorf("the DSN appears in the output")
		}
	}
}

// TestPlanDjangoMariaDB runs plans/django-mariadb.velin.hcl end to end
// against the real MariaDB: a weekly full, a daily incremental on top of
// it, and the declared restore.
func TestPlanDjangoMariaDB(t *testing.T) {
	url := dbtest.MySQL(t)
	name := url[strings.LastIndex(url, "/")+1:]
	db := dbtest.OpenMySQL(t, name)
	defer db.Close()
	myExec(t, db, `CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(100)) ENGINE=InnoDB`)
	for i := range 200 {
		myExec(t, db, "INSERT INTO orders (note) VALUES (?)", fmt.Sprintf("order %d 🛒", i))
	}
	p := newProject(t, planFile(t, "django-mariadb.velin.hcl"))
	p.write("shop/manage.py", "print('shop')\n")
	p.write("shop/media/logo.png", "PNG")
	p.write("vars.hcl", fmt.Sprintf("app_dir = %q\nuploads_dir = %q\nrepo_dir = %q\n",
		p.path("shop"), p.path("shop/media"), p.path("repo")))
	p.env = append(p.env, "VELIN_VAR_shop_database_url="+url)

	p.must("apply", "-var-file", "vars.hcl", "-backup", "weekly", "-auto-approve")
	myExec(t, db, "INSERT INTO orders (note) VALUES ('after the weekly')")
	p.must("apply", "-var-file", "vars.hcl", "-backup", "daily", "-auto-approve")
	myExec(t, db, "INSERT INTO orders (note) VALUES ('the next day')")
	p.must("apply", "-var-file", "vars.hcl", "-backup", "daily", "-auto-approve")
	var snaps []listed
	if r := p.must("backup", "list", "-var-file", "vars.hcl", "--json"); json.Unmarshal([]byte(r.stdout), &snaps) != nil || len(snaps) != 2 {
		t.Fatalf("want 2 snapshots (the weekly full, the newest daily: keep_daily keeps one a day): %s", r.stdout)
	}
	if s := snaps[1]; s.Backup != "daily" || s.Parent == "" || s.Parent == snaps[0].ID || !strings.Contains(s.ID, "incremental") {
		t.Errorf("the second daily is not incremental on the first daily: %+v", snaps)
	}
	code := treeDigest(t, p.path("shop"))

	myExec(t, db, "DELETE FROM orders WHERE id < 150")
	p.write("shop/media/logo.png", "overwritten")
	p.must("apply", "-var-file", "vars.hcl", "-restore", "all", "-auto-approve")
	var n int
	if err := db.QueryRow("SELECT count(*) FROM orders").Scan(&n); err != nil || n != 202 {
		t.Errorf("orders has %d rows after the restore (%v), want 202 (the newest daily snapshot)", n, err)
	}
	if diff := diffDigests(code, treeDigest(t, p.path("shop"))); len(diff) > 0 {
		t.Errorf("code and uploads not restored: %s", diff)
	}
}

func pgConnExec(t *testing.T, conn *pgx.Conn, q string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func pgCount(t *testing.T, conn *pgx.Conn, table string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func myExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
