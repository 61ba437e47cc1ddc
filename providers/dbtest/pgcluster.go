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
	u := startCluster(t, password, nil)
	u.RawQuery = "sslmode=disable"
	return u.String()
}

// PostgresTLS starts a throwaway cluster as PostgresPassword does, with
// ssl = on (the server certificate of certs) and a pg_hba.conf that
// accepts TCP connections over TLS only (hostssl, scram-sha-256), and
// only from clients with a certificate of certs' CA naming their user
// (clientcert=verify-full; see Certs.Client). It returns the DSN of the
// superuser postgres with password and no SSL setting: the test adds
// sslmode, sslrootcert, sslcert and sslkey.
func PostgresTLS(t testing.TB, password string, certs Certs) string {
	t.Helper()
	return startCluster(t, password, func(data string, uid, gid int) {
		copyFile(t, certs.Cert, filepath.Join(data, "server.crt"), 0o644, uid, gid)
		copyFile(t, certs.Key, filepath.Join(data, "server.key"), 0o600, uid, gid)
		copyFile(t, certs.CA, filepath.Join(data, "ca.crt"), 0o644, uid, gid)
		hba := "local all all scram-sha-256\n" +
			"hostssl all all 127.0.0.1/32 scram-sha-256 clientcert=verify-full\n" +
			"hostssl all all ::1/128 scram-sha-256 clientcert=verify-full\n"
		if err := os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
			t.Fatal(err)
		}
		conf := "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nssl_ca_file = 'ca.crt'\n"
		f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString(conf)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}).String()
}

// startCluster runs initdb and pg_ctl start; configure, when not nil,
// edits the data directory in between (uid and gid must own the files it
// adds; -1 when this is not root).
func startCluster(t testing.TB, password string, configure func(data string, uid, gid int)) *url.URL {
	t.Helper()
	bin := env("VELIN_TEST_PGBIN", pgBin)
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		missing(t, "the PostgreSQL server (initdb)", "VELIN_TEST_PGBIN", "sudo apt install postgresql-15", err)
	}
	dir, err := os.MkdirTemp("", "velin-pgauth-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	run, uid, gid := asServerUser(t, dir)
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
	if configure != nil {
		configure(data, uid, gid)
	}
	port := freePort(t)
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c shared_buffers=16MB", port, dir)
	ctl := filepath.Join(bin, "pg_ctl")
	if out, err := run(ctl, "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "120", "-o", opts, "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		t.Fatalf("dbtest: pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() { _ = run(ctl, "-D", data, "-m", "immediate", "-w", "stop").Run() })
	return &url.URL{Scheme: "postgres", User: url.UserPassword("postgres", password),
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Path: "/postgres"}
}

// asServerUser returns a way to run the server's commands: as the OS user
// postgres when this is root (initdb refuses root), owning dir; and the
// uid and gid server files must have (-1 when not root).
func asServerUser(t testing.TB, dir string) (func(name string, args ...string) *exec.Cmd, int, int) {
	t.Helper()
	if os.Geteuid() != 0 {
		return exec.Command, -1, -1
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
	}, uid, gid
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
