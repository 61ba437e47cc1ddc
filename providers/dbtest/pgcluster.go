package dbtest

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// pgBin is where Debian and Ubuntu install the PostgreSQL 15 server.
const pgBin = "/usr/lib/postgresql/15/bin"

// PostgresPassword starts a throwaway PostgreSQL cluster that asks every
// client for a password (scram-sha-256; the development machine's server
// trusts local connections, so it cannot refuse a wrong one), and returns
// the DSN of its superuser postgres with password. The cluster listens on
// a free port of 127.0.0.1 and is stopped and deleted when t ends. Without
// initdb (VELIN_TEST_PGBIN, default /usr/lib/postgresql/15/bin) the test
// is skipped, or fails under CI=true.
func PostgresPassword(t testing.TB, password string) string {
	t.Helper()
	bin := env("VELIN_TEST_PGBIN", pgBin)
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		unavailable(t, "a PostgreSQL server binary (initdb)", "VELIN_TEST_PGBIN", "sudo apt install postgresql-15", err)
	}
	dir, err := os.MkdirTemp("", "velin-pgauth-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	run := asServerUser(t, dir)
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(password+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if out, err := run(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=scram-sha-256",
		"--pwfile="+pw, "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("dbtest: initdb: %v\n%s", err, out)
	}
	os.Remove(pw)
	port := freePort(t)
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c shared_buffers=16MB", port, dir)
	ctl := filepath.Join(bin, "pg_ctl")
	if out, err := run(ctl, "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "120", "-o", opts, "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("dbtest: pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() { _ = run(ctl, "-D", data, "-m", "immediate", "-w", "stop").Run() })
	u := url.URL{Scheme: "postgres", User: url.UserPassword("postgres", password),
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Path: "/postgres", RawQuery: "sslmode=disable"}
	return u.String()
}

// asServerUser returns a way to run the server's commands: as the OS user
// postgres when this is root (initdb refuses root), owning dir.
func asServerUser(t testing.TB, dir string) func(name string, args ...string) *exec.Cmd {
	t.Helper()
	if os.Geteuid() != 0 {
		return exec.Command
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("dbtest: running as root, and no OS user postgres to run initdb as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return func(name string, args ...string) *exec.Cmd {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
}

// freePort is a TCP port of 127.0.0.1 nothing listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
