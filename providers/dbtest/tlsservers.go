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
	"strings"
	"testing"
	"time"
)

// RedisTLS starts a throwaway redis-server (VELIN_TEST_REDIS_SERVER,
// default redis-server on PATH) that accepts TLS connections only, with
// the server certificate of certs and requirepass password (none when
// empty), on a free port of 127.0.0.1; with clientCerts, only from
// clients with a certificate of certs' CA (tls-auth-clients yes). It
// returns host:port; the server is stopped and its directory deleted
// when t ends. Without the binary the test is skipped, or fails under
// CI=true.
func RedisTLS(t testing.TB, certs Certs, password string, clientCerts bool) string {
	t.Helper()
	bin := findBinary(t, "the Redis server (redis-server)", "VELIN_TEST_REDIS_SERVER", "redis-server",
		"sudo apt install redis-server")
	dir := t.TempDir()
	port := freePort(t)
	args := []string{"--port", "0", "--tls-port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--tls-cert-file", certs.Cert, "--tls-key-file", certs.Key, "--tls-ca-cert-file", certs.CA,
		"--tls-auth-clients", map[bool]string{true: "yes", false: "no"}[clientCerts], "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no"}
	if password != "" {
		// Through stdin, not argv: the process table is readable by all.
		args = append([]string{"-"}, args...)
	}
	cmd := exec.Command(bin, args...)
	if password != "" {
		cmd.Stdin = strings.NewReader("requirepass " + strconv.Quote(password) + "\n")
	}
	startServer(t, cmd, filepath.Join(dir, "log"), "127.0.0.1:"+strconv.Itoa(port))
	return "127.0.0.1:" + strconv.Itoa(port)
}

// MariaDBTLS starts a throwaway MariaDB server (mariadb-install-db and
// mariadbd; VELIN_TEST_MARIADBD names the server, default mariadbd on
// PATH or in /usr/sbin) with the server certificate of certs and
// require_secure_transport = ON, on a free port of 127.0.0.1. It has two
// accounts with password and every privilege: velin@'%', and
// velin_x509@'%', which must also present a client certificate of certs'
// CA (REQUIRE X509; see Certs.Client). It returns the server's
// host:port; the server is stopped and deleted when t ends.
func MariaDBTLS(t testing.TB, certs Certs, password string) string {
	t.Helper()
	bin := findBinary(t, "the MariaDB server (mariadbd)", "VELIN_TEST_MARIADBD", "mariadbd",
		"sudo apt install mariadb-server")
	install := filepath.Join(filepath.Dir(bin), "mariadb-install-db")
	if _, err := os.Stat(install); err != nil {
		if install, err = exec.LookPath("mariadb-install-db"); err != nil {
			missing(t, "mariadb-install-db", "VELIN_TEST_MARIADBD", "sudo apt install mariadb-server", err)
		}
	}
	dir, err := os.MkdirTemp("", "velin-mariadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	as, uid, gid := mariadbUser(t, dir)
	data := filepath.Join(dir, "data")
	if out, err := exec.Command(install, append(as, "--no-defaults", "--datadir="+data, "--skip-test-db",
		"--auth-root-authentication-method=socket",
		"--innodb-log-file-size=8M", "--innodb-buffer-pool-size=16M")...).CombinedOutput(); err != nil {
		t.Fatalf("dbtest: mariadb-install-db: %v\n%s", err, out)
	}
	initSQL := filepath.Join(dir, "init.sql")
	pw := strings.ReplaceAll(password, "'", "''")
	q := "CREATE USER 'velin'@'%' IDENTIFIED BY '" + pw + "';\n" +
		"GRANT ALL PRIVILEGES ON *.* TO 'velin'@'%' WITH GRANT OPTION;\n" +
		"CREATE USER 'velin_x509'@'%' IDENTIFIED BY '" + pw + "' REQUIRE X509;\n" +
		"GRANT ALL PRIVILEGES ON *.* TO 'velin_x509'@'%';\n"
	if err := os.WriteFile(initSQL, []byte(q), 0o600); err != nil {
		t.Fatal(err)
	}
	copyFile(t, certs.Cert, filepath.Join(dir, "server.pem"), 0o644, uid, gid)
	copyFile(t, certs.Key, filepath.Join(dir, "server.key"), 0o600, uid, gid)
	copyFile(t, certs.CA, filepath.Join(dir, "ca.pem"), 0o644, uid, gid)
	if uid >= 0 {
		if err := os.Chown(initSQL, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	cmd := exec.Command(bin, append([]string{"--no-defaults"}, append(as,
		"--datadir="+data, "--port="+strconv.Itoa(port), "--bind-address=127.0.0.1",
		"--socket="+filepath.Join(dir, "sock"), "--pid-file="+filepath.Join(dir, "pid"),
		"--init-file="+initSQL, "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M",
		"--ssl-cert="+filepath.Join(dir, "server.pem"), "--ssl-key="+filepath.Join(dir, "server.key"),
		"--ssl-ca="+filepath.Join(dir, "ca.pem"), "--require-secure-transport=ON")...)...)
	startServer(t, cmd, filepath.Join(dir, "log"), "127.0.0.1:"+strconv.Itoa(port))
	return "127.0.0.1:" + strconv.Itoa(port)
}

// MariaDBURL is the mysql:// URL of an account MariaDBTLS makes (user
// "velin" or "velin_x509"), with database db and query (e.g. "tls=true").
func MariaDBURL(addr, user, password, db, query string) string {
	u := url.URL{Scheme: "mysql", User: url.UserPassword(user, password), Host: addr, Path: "/" + db, RawQuery: query}
	return u.String()
}

// mariadbUser is the --user argument when this is root (mariadbd refuses
// to run as root), with dir handed to that user, and its uid and gid (-1
// when not root).
func mariadbUser(t testing.TB, dir string) ([]string, int, int) {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil, -1, -1
	}
	u, err := user.Lookup("mysql")
	if err != nil {
		t.Fatalf("dbtest: running as root, and no OS user mysql to run mariadbd as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return []string{"--user=mysql"}, uid, gid
}

// findBinary is the program named by variable, else name on PATH or in
// /usr/sbin; missing, the test is skipped (fails under CI=true).
func findBinary(t testing.TB, what, variable, name, install string) string {
	t.Helper()
	if p := os.Getenv(variable); p != "" {
		if _, err := os.Stat(p); err != nil {
			missing(t, what, variable, install, err)
		}
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	p := filepath.Join("/usr/sbin", name)
	if _, err := os.Stat(p); err != nil {
		missing(t, what, variable, install, fmt.Errorf("%s is not on PATH nor in /usr/sbin", name))
	}
	return p
}

// startServer starts cmd with its output in logPath, waits until addr
// accepts TCP connections, and stops it when t ends.
func startServer(t testing.TB, cmd *exec.Cmd, logPath, addr string) {
	t.Helper()
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		t.Fatalf("dbtest: start %s: %v", cmd.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); log.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case werr := <-exited:
			exited <- werr
			out, _ := os.ReadFile(logPath)
			t.Fatalf("dbtest: %s exited before listening on %s: %v\n%s", cmd.Path, addr, werr, out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			t.Fatalf("dbtest: %s does not listen on %s after 60 s\n%s", cmd.Path, addr, out)
		}
	}
}
