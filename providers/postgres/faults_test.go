package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/sourcetest"
)

// authServer is a fake PostgreSQL server that asks for a password and
// refuses it as PostgreSQL does (the test server trusts every local
// connection, so it cannot refuse a password itself). It returns its
// address and the passwords it was sent.
func authServer(t testing.TB) (string, chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan string, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go refuse(c, got)
		}
	}()
	return ln.Addr().String(), got
}

func refuse(c net.Conn, got chan string) {
	defer c.Close()
	be := pgproto3.NewBackend(c, c)
	for {
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return
		}
		if _, ok := msg.(*pgproto3.SSLRequest); ok {
			c.Write([]byte("N"))
			continue
		}
		break
	}
	be.Send(&pgproto3.AuthenticationCleartextPassword{})
	if be.Flush() != nil || be.SetAuthType(pgproto3.AuthTypeCleartextPassword) != nil {
		return
	}
	msg, err := be.Receive()
	if err != nil {
		return
	}
	if pw, ok := msg.(*pgproto3.PasswordMessage); ok {
		got <- pw.Password
	}
	be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01", Message: `password authentication failed for user "app"`})
	be.Flush()
}

// fakeTool writes an executable script named name into a new directory.
func fakeTool(t testing.TB, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// versionCase answers --version like the real pg_dump 15.20.
const versionCase = `if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 15.20"; exit 0; fi`

func TestInspectFaults(t *testing.T) {
	live := dbtest.Postgres(t)
	liveConn, _ := parseConn(live)
	authAddr, sent := authServer(t)
	old := fakeTool(t, "pg_dump", `echo "pg_dump (PostgreSQL) 9.6.24"`)
	cases := []struct {
		name string
		opts Options
		want []string // in the error
		is   error
	}{
		{"wrong password", Options{DSN: "postgres://app:Wr0ng-pa55@" + authAddr + "/app?sslmode=disable"},
			[]string{"inspect postgres", "app@" + authAddr + "/app", "password authentication failed", "check the user and password in dsn"}, nil},
		{"unreachable host", Options{DSN: "postgres://postgres@127.0.0.1:1/app?sslmode=disable"},
			[]string{"inspect postgres", "127.0.0.1:1", "refused", "is the server running"}, nil},
		{"unknown database", Options{DSN: "postgres://postgres@" + liveConn.hostPort() + "/velin_no_such_db?sslmode=disable"},
			[]string{"inspect postgres", "velin_no_such_db", "does not exist", "create the database or fix the name"}, nil},
		{"unknown database in databases", Options{DSN: live, Databases: []string{"velin_no_such_db"}},
			[]string{"velin_no_such_db", "does not exist", "fix databases"}, nil},
		{"missing pg_dump", Options{DSN: live, PgDumpPath: "/nonexistent/bin/pg_dump"},
			[]string{"no suitable pg_dump", "server 15.", "/nonexistent/bin/pg_dump (not found)", "set pg_dump_path"}, ErrNoClient},
		{"pg_dump older than the server", Options{DSN: live, PgDumpPath: old},
			[]string{"no suitable pg_dump", "server 15.", old + " 9.6", "postgresql-client-15"}, ErrNoClient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSource(t, tc.opts)
			_, err := s.Inspect(context.Background())
			if err == nil {
				t.Fatal("inspect succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if strings.Contains(err.Error(), "Wr0ng-pa55") {
				t.Errorf("error quotes the password: %v", err)
			}
			// Backup fails the same way, before storing anything.
			snap := sourcetest.NewMemSnapshot(nil)
			if _, err := s.Backup(context.Background(), snap, optsNone); err == nil {
				t.Error("backup succeeded")
			}
			if puts, _ := snap.Counts(); puts != 0 {
				t.Errorf("a failed backup stored %d entries", puts)
			}
		})
	}
	select {
	case pw := <-sent:
		if pw != "Wr0ng-pa55" {
			t.Errorf("the fake server got password %q", pw)
		}
	default:
		t.Error("the password never reached the server")
	}
}

// TestBackupKilledMidDump cancels a backup while pg_dump (here a fake one
// that writes part of a dump, then waits in a child process) runs: the
// backup fails and no process of its group survives.
func TestBackupKilledMidDump(t *testing.T) {
	live := dbtest.Postgres(t)
	pids := filepath.Join(t.TempDir(), "pids")
	tool := fakeTool(t, "pg_dump", versionCase+`
echo $$ > `+pids+`
echo "COPY public.t (a) FROM stdin;"
sleep 300 &
echo $! >> `+pids+`
wait`)
	s := newSource(t, Options{DSN: live, PgDumpPath: tool})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for i := 0; i < 1200; i++ { // 60 s: the cancel must come mid-dump
			if b, _ := os.ReadFile(pids); strings.Count(string(b), "\n") == 2 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	_, err := s.Backup(ctx, sourcetest.NewMemSnapshot(nil), optsNone)
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled backup: %v", err)
	}
	if d := time.Since(start); d > 90*time.Second { // far from the dump's 300 s
		t.Errorf("cancel took %v", d)
	}
	b, _ := os.ReadFile(pids)
	for _, f := range strings.Fields(string(b)) {
		var pid int
		for _, c := range f {
			pid = pid*10 + int(c-'0')
		}
		if !goneWithin(pid, 10*time.Second) {
			t.Errorf("process %d survived the cancel", pid)
		}
	}
}

// goneWithin polls until pid is gone or a zombie (a killed process must
// still be scheduled to exit, late on a loaded machine).
func goneWithin(pid int, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err != nil || zombie(string(st)) {
			return true
		}
	}
	return false
}

// zombie says whether a /proc/<pid>/stat line is of a dead process not
// yet reaped (this container's init may not reap orphans).
func zombie(stat string) bool {
	i := strings.LastIndex(stat, ")")
	return i > 0 && strings.HasPrefix(stat[i+1:], " Z")
}

// TestDumpFailures: a pg_dump that fails, or ends without finishing its
// dump, fails the backup with its (redacted) stderr.
func TestDumpFailures(t *testing.T) {
	live := dbtest.Postgres(t)
	withPw := strings.Replace(live, "postgres@", "postgres:S3cret-pw@", 1)
	cases := map[string]string{
		"exit 1":    `echo "-- partial"; echo "pg_dump: error: connection lost (password $PGPASSWORD)" >&2; exit 1`,
		"truncated": `echo "COPY public.t (a) FROM stdin;"; echo 1`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSource(t, Options{DSN: withPw, PgDumpPath: fakeTool(t, "pg_dump", versionCase+"\n"+body)})
			_, err := s.Backup(context.Background(), sourcetest.NewMemSnapshot(nil), optsNone)
			if err == nil || !errors.Is(err, ErrDump) {
				t.Fatalf("backup: %v, want %v", err, ErrDump)
			}
			if strings.Contains(err.Error(), "S3cret-pw") {
				t.Errorf("error quotes the password: %v", err)
			}
			if name == "exit 1" && !strings.Contains(err.Error(), "connection lost (password ***)") {
				t.Errorf("error lacks the redacted stderr: %v", err)
			}
		})
	}
}

// TestPasswordNeverInArgv: pg_dump gets the password in its environment
// only; its argv (read by the tool itself) never holds it.
func TestPasswordNeverInArgv(t *testing.T) {
	live := dbtest.Postgres(t)
	withPw := strings.Replace(live, "postgres@", "postgres:S3cret-pw@", 1)
	out := filepath.Join(t.TempDir(), "seen")
	tool := fakeTool(t, "pg_dump", versionCase+`
cat /proc/$$/cmdline | tr '\0' ' ' > `+out+`
echo "ENV PGPASSWORD=$PGPASSWORD" >> `+out+`
exec /usr/bin/pg_dump "$@"`)
	s := newSource(t, Options{DSN: withPw, PgDumpPath: tool})
	facts, err := s.Backup(context.Background(), sourcetest.NewMemSnapshot(nil), optsNone)
	if err != nil {
		t.Fatal(err)
	}
	seen, _ := os.ReadFile(out)
	argv, env, _ := strings.Cut(string(seen), "ENV ")
	if strings.Contains(argv, "S3cret-pw") || !strings.Contains(argv, "--format=plain") {
		t.Errorf("pg_dump argv: %q", argv)
	}
	if strings.TrimSpace(env) != "PGPASSWORD=S3cret-pw" {
		t.Errorf("pg_dump did not get the password in its environment: %q", env)
	}
	for k, v := range facts.Details {
		if strings.Contains(v, "S3cret-pw") || strings.Contains(facts.Identity, "S3cret-pw") {
			t.Errorf("facts %s quote the password", k)
		}
	}
}
