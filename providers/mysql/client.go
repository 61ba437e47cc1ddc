package mysql

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/velinhq/velin/providers/childproc"
)

// tool is a client program velin runs: a dump tool or the command-line
// client.
type tool struct {
	Path    string
	Version string // first line of --version
}

func (t tool) String() string {
	return filepath.Base(t.Path) + " " + t.Version + " (" + t.Path + ")"
}

// dumpNames and clientNames are the programs for a flavour, preferred
// first: MariaDB's own tools for MariaDB, MySQL's for MySQL.
func dumpNames(mariadb bool) []string {
	if mariadb {
		return []string{"mariadb-dump", "mysqldump"}
	}
	return []string{"mysqldump", "mariadb-dump"}
}

func clientNames(mariadb bool) []string {
	if mariadb {
		return []string{"mariadb", "mysql"}
	}
	return []string{"mysql", "mariadb"}
}

// dumpTool finds the dump tool: dump_path, or the first of the flavour's
// names on PATH.
func (s *Source) dumpTool(ctx context.Context, sv server) (tool, error) {
	var t tool
	var err error
	if s.dumpPath != "" {
		t, err = probe(ctx, s.dumpPath, "dump_path "+s.dumpPath)
	} else {
		t, err = find(ctx, dumpNames(sv.MariaDB), "dump tool", sv)
	}
	if err != nil {
		return t, err
	}
	return t, newEnough(t, sv)
}

// newEnough refuses a dump tool whose major.minor version is below the
// server's: it may not know the server's syntax and objects.
func newEnough(t tool, sv server) error {
	tv, ok := majorMinor(t.Version)
	want, known := majorMinor(sv.Version)
	if !ok || !known || tv[0] > want[0] || tv[0] == want[0] && tv[1] >= want[1] {
		return nil
	}
	return fmt.Errorf("dump tool %s is older than the server %s: install a client of version %d.%d or later (Debian: apt install mariadb-client) or set dump_path to one: %w",
		t, sv, want[0], want[1], ErrNoTool)
}

// majorMinor reads 10 and 11 from "10.11.19-MariaDB" or "10.11.19".
func majorMinor(v string) ([2]int, bool) {
	f := strings.SplitN(v, ".", 3)
	if len(f) < 2 {
		return [2]int{}, false
	}
	major, err1 := strconv.Atoi(f[0])
	minor, err2 := strconv.Atoi(strings.TrimRightFunc(f[1], func(r rune) bool { return r < '0' || r > '9' }))
	return [2]int{major, minor}, err1 == nil && err2 == nil
}

// clientTool finds the command-line client: next to dump_path first, then
// on PATH.
func (s *Source) clientTool(ctx context.Context, sv server) (tool, error) {
	if s.dumpPath != "" {
		for _, n := range clientNames(sv.MariaDB) {
			p := filepath.Join(filepath.Dir(s.dumpPath), n)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return probe(ctx, p, p)
			}
		}
	}
	return find(ctx, clientNames(sv.MariaDB), "client", sv)
}

func find(ctx context.Context, names []string, what string, sv server) (tool, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return probe(ctx, p, p)
		}
	}
	return tool{}, fmt.Errorf("no %s for %s: none of %s is on PATH: install the client package (Debian: apt install mariadb-client) or set dump_path: %w",
		what, sv, strings.Join(names, ", "), ErrNoTool)
}

// probe runs path --version.
func probe(ctx context.Context, path, what string) (tool, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return tool{}, fmt.Errorf("%s cannot run (%v): install the client package or fix dump_path: %w", what, err, ErrNoTool)
	}
	return tool{Path: path, Version: shortVersion(string(out))}, nil
}

// shortVersion reads "10.11.19-MariaDB" from "mariadb-dump  Ver 10.19
// Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)", and "8.0.36"
// from "mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)".
func shortVersion(out string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
	for _, key := range []string{"Distrib ", "Ver "} {
		if _, rest, ok := strings.Cut(line, key); ok {
			v, _, _ := strings.Cut(rest, " ")
			return strings.TrimSuffix(v, ",")
		}
	}
	return line
}

// defaultsFile returns an option file holding the user and password, for
// --defaults-extra-file: the read end of a pipe (the tool reads it as
// /dev/fd/3), so that nothing holding the password is ever on disk, not
// even after velin is killed -9. The caller closes it once the tool ran.
func (c conn) defaultsFile() (*os.File, error) {
	body := "[client]\nuser=" + optQuote(c.User) + "\npassword=" + optQuote(c.Password) + "\n"
	if len(body) > 4096 { // written before the tool starts: within any pipe's buffer
		return nil, fmt.Errorf("defaults file: the user and password are %d bytes, more than 4 KiB", len(body))
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("defaults file: %w", err)
	}
	_, err = w.WriteString(body)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("defaults file: %w", err)
	}
	return r, nil
}

// defaultsArg is the option naming the file defaultsFile returns, passed
// to the tool as its first extra file (descriptor 3).
const defaultsArg = "--defaults-extra-file=/dev/fd/3"

// optQuote quotes a value for an option file.
func optQuote(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return `"` + r.Replace(v) + `"`
}

// run runs one client program in its own process group with the
// defaults file as its first argument. Cancelling ctx (or the source's
// timeout) kills the whole group. A failure carries the last lines of
// stderr, redacted.
func (s *Source) run(ctx context.Context, t tool, args []string, stdin io.Reader, stdout io.Writer) error {
	cnf, err := s.c.defaultsFile()
	if err != nil {
		return err
	}
	defer cnf.Close()
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	argv := append(append([]string{defaultsArg}, s.c.hostArgs()...), s.c.tlsArgs(t)...)
	cmd := childproc.Command(ctx, t.Path, os.Environ(), append(argv, args...)...)
	cmd.ExtraFiles = []*os.File{cnf}
	stderr := &tail{max: 16 << 10}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	err = cmd.Run()
	_ = childproc.KillGroup(cmd) // nothing of the group outlives the call
	if err == nil {
		return nil
	}
	msg := s.redact(stderr.String())
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) && s.timeout > 0:
		return fmt.Errorf("%s timed out after %s (raise timeout): %s", filepath.Base(t.Path), s.timeout, lastLines(msg, 5))
	case ctx.Err() != nil:
		return fmt.Errorf("%s: %w", filepath.Base(t.Path), ctx.Err())
	}
	return fmt.Errorf("%s: %v: %s", filepath.Base(t.Path), err, lastLines(msg, 5))
}

// redact masks the password (and anything quoting the DSN's user:password)
// in text a child wrote.
func (s *Source) redact(text string) string {
	if s.c.Password != "" {
		text = strings.ReplaceAll(text, s.c.Password, "***")
	}
	return text
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := strings.Join(lines, " | ")
	if out == "" {
		return "(no message)"
	}
	return out
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	if len(b) > t.max {
		b = b[len(b)-t.max:]
	}
	return string(bytes.ToValidUTF8(b, []byte("?")))
}
