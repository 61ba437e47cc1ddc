package postgres

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// version is a PostgreSQL version: major and minor ("15.20" is {15, 20}).
type version struct{ major, minor int }

func (v version) String() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

func (v version) less(o version) bool {
	return v.major < o.major || (v.major == o.major && v.minor < o.minor)
}

var versionRe = regexp.MustCompile(`\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?`)

// parseVersion reads "pg_dump (PostgreSQL) 15.20 (Debian …)".
func parseVersion(out string) (version, bool) {
	m := versionRe.FindStringSubmatch(out)
	if m == nil {
		return version{}, false
	}
	maj, _ := strconv.Atoi(m[1])
	min, _ := strconv.Atoi(m[2])
	return version{maj, min}, true
}

// serverVersion turns server_version_num (150020) into a version.
func serverVersion(num int) version {
	if num >= 100000 {
		return version{num / 10000, num % 10000}
	}
	return version{num / 10000, num / 100 % 100}
}

// restrictKey says whether this pg_dump writes a \restrict line, and so
// takes --restrict-key (15.14, 16.10, 17.6, and every later release).
func (v version) restrictKey() bool {
	first := map[int]int{13: 22, 14: 19, 15: 14, 16: 10, 17: 6}
	if v.major >= 18 {
		return true
	}
	min, ok := first[v.major]
	return ok && v.minor >= min
}

// client is a chosen set of tools: pg_dump and its sibling psql and
// pg_dumpall (same directory, same version).
type client struct {
	dump    string
	version version
}

func (c client) tool(name string) string {
	p := filepath.Join(filepath.Dir(c.dump), name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return name
}

// candidates lists the pg_dump binaries to consider: pg_dump_path alone
// when set, else PATH and /usr/lib/postgresql/*/bin.
func (s *Source) candidates() []string {
	if s.opts.PgDumpPath != "" {
		p := s.opts.PgDumpPath
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			p = filepath.Join(p, "pg_dump")
		}
		return []string{p}
	}
	var out []string
	if p, err := exec.LookPath("pg_dump"); err == nil {
		out = append(out, p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	return append(out, dirs...)
}

// chooseClient picks the oldest pg_dump whose major version is at least
// the server's (pg_dump refuses newer servers), the newest as a tie-break
// within a major. None fitting is an error naming what was found.
func (s *Source) chooseClient(ctx context.Context, server version) (client, error) {
	var found []string
	var best *client
	for _, p := range s.candidates() {
		v, err := toolVersion(ctx, p)
		if err != nil {
			found = append(found, fmt.Sprintf("%s (%v)", p, err))
			continue
		}
		found = append(found, fmt.Sprintf("%s %s", p, v))
		if v.major < server.major {
			continue
		}
		if best == nil || v.major < best.version.major || (v.major == best.version.major && best.version.less(v)) {
			best = &client{dump: p, version: v}
		}
	}
	if best != nil {
		return *best, nil
	}
	fix := fmt.Sprintf("install the PostgreSQL %d client (e.g. apt-get install postgresql-client-%d) or set pg_dump_path to a pg_dump of version %d or later",
		server.major, server.major, server.major)
	if len(found) == 0 {
		return client{}, fmt.Errorf("%w for server %s: pg_dump not found on PATH or in /usr/lib/postgresql/*/bin; %s", ErrNoClient, server, fix)
	}
	return client{}, fmt.Errorf("%w for server %s: found %s; %s", ErrNoClient, server, strings.Join(found, ", "), fix)
}

// toolVersion runs `pg_dump --version`.
func toolVersion(ctx context.Context, path string) (version, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		if os.IsNotExist(err) || strings.Contains(err.Error(), "no such file") {
			return version{}, fmt.Errorf("not found")
		}
		return version{}, fmt.Errorf("cannot run: %v", err)
	}
	v, ok := parseVersion(string(out))
	if !ok {
		return version{}, fmt.Errorf("unknown version %q", strings.TrimSpace(string(out)))
	}
	return v, nil
}
