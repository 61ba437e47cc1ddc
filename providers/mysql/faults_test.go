package mysql

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

// withUser creates a user with password pass, granted grants on the
// database of u (none when grants is ""), and returns u with that user.
func withUser(t *testing.T, u, pass, grants string) string {
	t.Helper()
	admin := dbtest.OpenMySQL(t, "")
	defer admin.Close()
	user := fmt.Sprintf("velin_u%d", time.Now().UnixNano()%1_000_000_000)
	mustExec(t, admin, "CREATE USER '"+user+"'@'%' IDENTIFIED BY '"+pass+"'")
	t.Cleanup(func() {
		a := dbtest.OpenMySQL(t, "")
		defer a.Close()
		mustExec(t, a, "DROP USER '"+user+"'@'%'")
	})
	if grants != "" {
		mustExec(t, admin, "GRANT "+grants+" ON "+quote(dbOf(t, u))+".* TO '"+user+"'@'%'")
	}
	p, _ := url.Parse(u)
	p.User = url.UserPassword(user, pass)
	return p.String()
}

func inspectErr(t *testing.T, opts Options) error {
	t.Helper()
	_, err := newSource(t, opts).Inspect(context.Background())
	if err == nil {
		t.Fatal("inspect succeeded")
	}
	return err
}

func TestInspectFaults(t *testing.T) {
	live := dbtest.MySQL(t)
	makeDB(t, live)
	const pass = "Corr3ct-h0rse-batt3ry"
	good := withUser(t, live, pass, "SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES")
	if _, err := newSource(t, Options{DSN: good}).Inspect(context.Background()); err != nil {
		t.Fatalf("inspect with the right password and grants: %v", err)
	}
	wrong := strings.Replace(good, pass, "wr0ng-pa55word", 1)
	noDB := strings.Replace(live, dbOf(t, live), "velin_no_such_db", 1)
	cases := []struct {
		name string
		opts Options
		is   error
		says string
	}{
		{"wrong password", Options{DSN: wrong}, ErrAuth, "check the password in the dsn"},
		{"unreachable", Options{DSN: "mysql://root:pw-unreach@127.0.0.1:1/x"}, ErrUnreachable, "is the server running"},
		{"unknown database", Options{DSN: noDB}, ErrNoDatabase, "does not exist"},
		{"unknown among several", Options{DSN: live, Databases: []string{dbOf(t, live), "velin_no_such_db"}}, ErrNoDatabase, "velin_no_such_db"},
		{"no privileges", Options{DSN: withUser(t, live, "n0-privs-pass", "")}, ErrPrivileges, "GRANT SELECT, SHOW VIEW"},
		{"select only", Options{DSN: withUser(t, live, "select-0nly-pass", "SELECT")}, ErrPrivileges, "lacks SHOW VIEW, TRIGGER, EVENT"},
		{"missing dump_path", Options{DSN: live, DumpPath: "/nonexistent/mariadb-dump"}, ErrNoTool, "fix dump_path"},
		{"dump tool older than the server", Options{DSN: live, DumpPath: oldDump(t)}, ErrNoTool, "is older than the server MariaDB 10.11"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := inspectErr(t, c.opts)
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q: want %v saying %q", err, c.is, c.says)
			}
			if !strings.Contains(err.Error(), "inspect mysql 127.0.0.1") && !strings.Contains(err.Error(), "inspect mysql velin_u") && !strings.Contains(err.Error(), "inspect mysql root@") {
				t.Errorf("error %q does not name the source", err)
			}
			for _, secret := range []string{pass, "wr0ng-pa55word", "pw-unreach", "n0-privs-pass", "select-0nly-pass"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error quotes a password: %q", err)
				}
			}
		})
	}
	t.Run("no dump tool on PATH", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		err := inspectErr(t, Options{DSN: live})
		if !errors.Is(err, ErrNoTool) || !strings.Contains(err.Error(), "mariadb-dump, mysqldump") || !strings.Contains(err.Error(), "apt install mariadb-client") {
			t.Errorf("error %q", err)
		}
	})
}

// oldDump writes a dump tool that says it is mariadb-dump of MariaDB 10.3.
func oldDump(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "mariadb-dump")
	script := "#!/bin/sh\necho 'mariadb-dump  Ver 10.17 Distrib 10.3.39-MariaDB, for test'\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeDump writes a dump tool that answers --version like mariadb-dump
// and otherwise runs body (sh).
func fakeDump(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "mariadb-dump")
	script := "#!/bin/sh\ncase \"$1\" in --version) echo 'mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for test'; exit 0;; esac\n" + body + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPasswordNeverInArgv runs the real dump through a wrapper that
// records its command line and the defaults file's mode.
func TestPasswordNeverInArgv(t *testing.T) {
	live := dbtest.MySQL(t)
	makeDB(t, live)
	const pass = "Arg-v1sible-never"
	u := withUser(t, live, pass, "SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES")
	rec := filepath.Join(t.TempDir(), "argv")
	dump := fakeDump(t, `cat /proc/$$/cmdline | tr '\0' ' ' > `+rec+`; env >> `+rec+`
f=${1#--defaults-extra-file=}; stat -L -c 'mode %a %F' "$f" >> `+rec+`
exec mariadb-dump "$@"`)
	tree, facts := backupTree(t, newSource(t, Options{DSN: u, DumpPath: dump}))
	got, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), pass) {
		t.Fatalf("the password reached the dump tool's argv or environment:\n%s", got)
	}
	if !strings.Contains(string(got), "mariadb-dump --defaults-extra-file=") || !strings.Contains(string(got), "mode 600 fifo") {
		t.Errorf("defaults file not first, or not a 0600 pipe (a file on disk would outlive a kill -9):\n%s", got)
	}
	if facts.Rows != 202 || countFilesIn(t, tree) != 1 {
		t.Errorf("facts %+v", facts)
	}
}

func countFilesIn(t *testing.T, tree provider.Tree) int {
	n := 0
	if err := tree.Walk(context.Background(), func(e provider.Entry) error {
		if e.Kind == provider.KindFile {
			n++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDumpFailureFailsBackup(t *testing.T) {
	live := dbtest.MySQL(t)
	u := withUser(t, live, "Leak-me-n0t", "SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES")
	cases := map[string]struct{ body, says string }{
		"exit":      {`echo '-- MariaDB dump'; echo "mariadb-dump: Got error: 2013: Lost connection (password Leak-me-n0t)" >&2; exit 2`, "Lost connection (password ***)"},
		"truncated": {`echo '-- MariaDB dump'; echo 'INSERT INTO'`, "without its \"-- Dump completed\" line"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSource(t, Options{DSN: u, DumpPath: fakeDump(t, c.body)})
			_, err := s.Backup(context.Background(), sourcetest.NewMemSnapshot(nil), provider.BackupOptions{})
			if !errors.Is(err, ErrDump) || !strings.Contains(err.Error(), c.says) || strings.Contains(err.Error(), "Leak-me-n0t") {
				t.Errorf("error %v: want ErrDump saying %q, without the password", err, c.says)
			}
		})
	}
}

// TestCancelKillsDump cancels a backup whose dump tool (and a process it
// started) is still running: both are gone when Backup returns.
func TestCancelKillsDump(t *testing.T) {
	live := dbtest.MySQL(t)
	pids := filepath.Join(t.TempDir(), "pids")
	dump := fakeDump(t, `echo '-- MariaDB dump'; sleep 300 & echo $$ $! > `+pids+`; wait`)
	// 3 s: the connection check and the fake dump's start must fit in the
	// timeout on a loaded machine (the dump then sleeps 300 s).
	for _, timeout := range []time.Duration{0, 3 * time.Second} {
		os.Remove(pids)
		s := newSource(t, Options{DSN: live, DumpPath: dump, Timeout: timeout})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for range 3000 { // 60 s: the cancel must come while the dump runs
				if _, err := os.Stat(pids); err == nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if timeout == 0 {
				cancel()
			}
		}()
		_, err := s.Backup(ctx, sourcetest.NewMemSnapshot(nil), provider.BackupOptions{})
		cancel()
		if err == nil {
			t.Fatal("backup succeeded")
		}
		if timeout > 0 && !strings.Contains(err.Error(), "timed out after 3s (raise timeout)") {
			t.Errorf("timeout error: %v", err)
		}
		data, _ := os.ReadFile(pids)
		fields := strings.Fields(string(data))
		if len(fields) != 2 {
			t.Fatalf("the fake dump did not start: %q", data)
		}
		for _, f := range fields {
			pid, _ := strconv.Atoi(f)
			if alive(pid) {
				t.Errorf("process %d of the dump survived the cancelled backup", pid)
			}
		}
	}
}

// alive says whether pid still runs after 10 s (a zombie waiting for its
// parent does not; a killed process must still be scheduled to exit).
func alive(pid int) bool {
	for range 500 {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		if f := strings.Fields(string(st)); len(f) > 2 && f[2] == "Z" {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// TestCleanLeftovers drops the scratch schemas whose owner is gone and
// keeps the one a running test restore still holds.
func TestCleanLeftovers(t *testing.T) {
	live := dbtest.MySQL(t)
	s := newSource(t, Options{DSN: live})
	admin := dbtest.OpenMySQL(t, "")
	defer admin.Close()
	id := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	orphans := []string{"velin_verify_" + id + "a", "velin_restore_" + id}
	owned, kept := "velin_verify_"+id+"b", "velin_old_"+id
	for _, n := range append(orphans, owned, kept) {
		mustExec(t, admin, "CREATE DATABASE "+quote(n))
		t.Cleanup(func() { dbtest.DropMySQL(t, n) })
	}
	release, err := own(context.Background(), admin, owned)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	removed, err := s.CleanLeftovers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(removed, " ")
	for _, n := range orphans {
		if !strings.Contains(got, "/"+n) {
			t.Errorf("orphan %s not removed (removed: %s)", n, got)
		}
	}
	for _, n := range []string{owned, kept} {
		if strings.Contains(got, "/"+n) {
			t.Errorf("%s removed although %s", n, map[bool]string{true: "a running restore owns it", false: "it holds replaced tables"}[n == owned])
		}
	}
}

// cancellingTree cancels the restore's context half-way through a dump.
type cancellingTree struct {
	provider.Tree
	cancel context.CancelFunc
}

func (c cancellingTree) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	rc, err := c.Tree.Open(ctx, e)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, e.Size/2), readerFunc(func([]byte) (int, error) {
		c.cancel()
		<-ctx.Done()
		return 0, ctx.Err()
	})), rc}, nil
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestRestoreCancelledLeavesLive cancels a restore in place while the dump
// loads (as Ctrl-C does): the live database is as it was and no scratch
// schema is left.
func TestRestoreCancelledLeavesLive(t *testing.T) {
	fx := setup(t)
	tree, _ := backupTree(t, fx.Source.(*Source))
	fx.Mutate(t)
	check := fx.Capture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := fx.Source.Restore(ctx, cancellingTree{tree, cancel}, provider.RestoreOptions{})
	if err == nil || !strings.Contains(err.Error(), "the database was not changed") {
		t.Fatalf("cancelled restore: %v", err)
	}
	check(t, fx.Live)
	admin := dbtest.OpenMySQL(t, "")
	defer admin.Close()
	var n int
	if err := admin.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'velin\\_restore\\_%'").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d scratch schemas left (%v)", n, err)
	}
}

// TestAllDatabases: ["*"] backs up every database but the server's own
// and velin's scratch schemas.
func TestAllDatabases(t *testing.T) {
	live := dbtest.MySQL(t)
	s := newSource(t, Options{DSN: live, Databases: []string{"*"}})
	admin := dbtest.OpenMySQL(t, "")
	defer admin.Close()
	scratch := fmt.Sprintf("velin_verify_all%d", time.Now().UnixNano()%1e9)
	mustExec(t, admin, "CREATE DATABASE "+scratch)
	t.Cleanup(func() { dbtest.DropMySQL(t, scratch) })
	dbs, err := s.databases(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	got := " " + strings.Join(dbs, " ") + " "
	if !strings.Contains(got, " "+dbOf(t, live)+" ") || strings.Contains(got, " mysql ") ||
		strings.Contains(got, " information_schema ") || strings.Contains(got, scratch) {
		t.Errorf("databases of [\"*\"]: %s", got)
	}
	if id := s.identity(); !strings.HasSuffix(id, "/*") {
		t.Errorf("identity %q", id)
	}
}

// TestRestoreBlockedBySession: a session with an open transaction on a
// live table blocks the swap; the restore gives up after the lock wait,
// names the session, and leaves the database as it was.
func TestRestoreBlockedBySession(t *testing.T) {
	fx := setup(t)
	s := fx.Source.(*Source)
	s.lockWait = time.Second
	tree, _ := backupTree(t, s)
	fx.Mutate(t)
	check := fx.Capture(t)
	db := dbtest.OpenMySQL(t, dbOf(t, fx.Live))
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRow("SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	err = s.Restore(context.Background(), tree, provider.RestoreOptions{})
	if err == nil || !strings.Contains(err.Error(), "the database was not changed") || !strings.Contains(err.Error(), "that may block it") {
		t.Fatalf("restore blocked by a session: %v", err)
	}
	tx.Rollback()
	check(t, fx.Live)
}

// TestRestoreReadErrorLeavesLive: a snapshot whose reading fails after the
// whole dump (its "-- Dump completed" line included) fails the restore,
// although the client took the end of its input for the end of the dump.
func TestRestoreReadErrorLeavesLive(t *testing.T) {
	fx := setup(t)
	tree, _ := backupTree(t, fx.Source.(*Source))
	fx.Mutate(t)
	check := fx.Capture(t)
	err := fx.Source.Restore(context.Background(), failingTree{tree}, provider.RestoreOptions{})
	if err == nil || !strings.Contains(err.Error(), "damaged chunk") || !strings.Contains(err.Error(), "the database was not changed") {
		t.Fatalf("restore of an unreadable snapshot: %v", err)
	}
	check(t, fx.Live)
}

// failingTree's readers fail once the whole dump was read.
type failingTree struct{ provider.Tree }

func (f failingTree) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	rc, err := f.Tree.Open(ctx, e)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(rc, iotest.ErrReader(errors.New("damaged chunk"))), rc}, nil
}
