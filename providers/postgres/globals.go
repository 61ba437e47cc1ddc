package postgres

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// globals is what a restore with --globals takes from the snapshot's
// globals.sql (pg_dumpall --globals-only): the roles with the statements
// that give them their attributes, settings and comments, the role
// memberships, and the tablespaces. Statements are kept as dumped; they
// hold password hashes, so neither they nor errors quoting them are ever
// shown (see redactor).
type globals struct {
	roles       []*dumpedRole
	grants      []grant // role memberships, in dump order
	tablespaces []*dumpedTablespace
	secrets     []string // the password hashes, to mask in errors
}

type dumpedRole struct {
	name  string
	stmts []string // CREATE ROLE, ALTER ROLE … WITH/SET, COMMENT ON ROLE
}

// grant is `GRANT group TO member …` without its GRANTED BY clause (the
// grantor may not exist on the destination server).
type grant struct {
	member string
	stmt   string
}

type dumpedTablespace struct {
	name     string
	location string
	stmts    []string // CREATE TABLESPACE first, then its ACL and settings
}

var (
	passwordRe  = regexp.MustCompile(`PASSWORD '((?:[^']|'')*)'`)
	grantedByRe = regexp.MustCompile(`(?i)\s+GRANTED BY\s+("(?:[^"]|"")*"|\S+)\s*;$`)
	locationRe  = regexp.MustCompile(`LOCATION '((?:[^']|'')*)'`)
)

// readGlobals parses a pg_dumpall --globals-only script.
func readGlobals(r io.Reader) (*globals, error) {
	g := &globals{}
	roles := map[string]*dumpedRole{}
	spaces := map[string]*dumpedTablespace{}
	err := statements(r, func(st string) {
		g.add(st, roles, spaces)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

func (g *globals) add(st string, roles map[string]*dumpedRole, spaces map[string]*dumpedTablespace) {
	if m := passwordRe.FindStringSubmatch(st); m != nil && m[1] != "" {
		g.secrets = append(g.secrets, m[1])
	}
	role := func(name string) {
		if r, ok := roles[name]; ok {
			r.stmts = append(r.stmts, st)
		}
	}
	space := func(name string) {
		if ts, ok := spaces[name]; ok {
			ts.stmts = append(ts.stmts, st)
		}
	}
	switch {
	case strings.HasPrefix(st, "CREATE ROLE "):
		name, _ := readIdent(st[len("CREATE ROLE "):])
		r := &dumpedRole{name: name, stmts: []string{st}}
		roles[name] = r
		g.roles = append(g.roles, r)
	case strings.HasPrefix(st, "ALTER ROLE "):
		name, rest := readIdent(st[len("ALTER ROLE "):])
		if !strings.HasPrefix(strings.TrimSpace(rest), "IN DATABASE") { // the databases come later
			role(name)
		}
	case strings.HasPrefix(st, "COMMENT ON ROLE "):
		name, _ := readIdent(st[len("COMMENT ON ROLE "):])
		role(name)
	case strings.HasPrefix(st, "CREATE TABLESPACE "):
		name, _ := readIdent(st[len("CREATE TABLESPACE "):])
		ts := &dumpedTablespace{name: name, stmts: []string{st}}
		if m := locationRe.FindStringSubmatch(st); m != nil {
			ts.location = strings.ReplaceAll(m[1], "''", "'")
		}
		spaces[name] = ts
		g.tablespaces = append(g.tablespaces, ts)
	case strings.HasPrefix(st, "ALTER TABLESPACE "):
		name, _ := readIdent(st[len("ALTER TABLESPACE "):])
		space(name)
	case strings.HasPrefix(st, "COMMENT ON TABLESPACE "):
		name, _ := readIdent(st[len("COMMENT ON TABLESPACE "):])
		space(name)
	case strings.HasPrefix(st, "GRANT ") && strings.Contains(st, " ON TABLESPACE "):
		_, after, _ := strings.Cut(st, " ON TABLESPACE ")
		name, _ := readIdent(after)
		space(name)
	case strings.HasPrefix(st, "GRANT "):
		_, after, ok := strings.Cut(st, " TO ")
		if ok {
			member, _ := readIdent(after)
			g.grants = append(g.grants, grant{member: member, stmt: grantedByRe.ReplaceAllString(st, ";")})
		}
	}
}

// statements calls fn with each SQL statement of a pg_dumpall script,
// skipping comments, psql meta-commands (\restrict) and SET lines. A
// statement ends with a line ending in ';' outside quotes.
func statements(r io.Reader, fn func(string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var cur strings.Builder
	quoted := false
	for sc.Scan() {
		line := sc.Text()
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "--") || strings.HasPrefix(line, `\`) || strings.HasPrefix(line, "SET ")) {
			continue
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(line)
		if strings.Count(line, "'")%2 == 1 {
			quoted = !quoted
		}
		if !quoted && strings.HasSuffix(line, ";") {
			fn(cur.String())
			cur.Reset()
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", globalsEntry, err)
	}
	return nil
}

// readIdent reads the SQL identifier at the start of s (double-quoted or
// not) and returns its name and what follows.
func readIdent(s string) (string, string) {
	if strings.HasPrefix(s, `"`) {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] != '"' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			return b.String(), s[i+1:]
		}
		return b.String(), ""
	}
	i := strings.IndexAny(s, " ;,\n")
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// redact masks the password hashes of g in an error message.
func (g *globals) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	masked := msg
	for _, s := range g.secrets {
		masked = strings.ReplaceAll(masked, s, "***")
	}
	if masked == msg {
		return err
	}
	return fmt.Errorf("%s", masked)
}

// memberOf lists the groups a dumped role is granted (for the plan).
func (g *globals) memberOf(role string) []string {
	var out []string
	for _, gr := range g.grants {
		if gr.member == role {
			name, _ := readIdent(strings.TrimPrefix(gr.stmt, "GRANT "))
			out = append(out, name)
		}
	}
	return out
}

// loadGlobals reads the snapshot's globals.sql.
func loadGlobals(ctx context.Context, open func(context.Context) (io.ReadCloser, error)) (*globals, error) {
	rc, err := open(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readGlobals(rc)
}
