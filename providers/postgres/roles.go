package postgres

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// noteRoles records the roles a pg_dump statement line names as owner
// (OWNER TO), grantee (GRANT … TO, REVOKE … FROM) or default-privileges
// role (FOR ROLE). Like the COPY lines it goes by the start of a line; a
// function body with such a line at worst names a role too many.
func (c *counter) noteRoles(line string) {
	if !strings.HasSuffix(line, ";") {
		return
	}
	switch {
	case strings.HasPrefix(line, "ALTER ") && strings.Contains(line, " OWNER TO "):
		_, after, _ := strings.Cut(line, " OWNER TO ")
		c.noteList(after)
		if _, rest, ok := strings.Cut(line, " FOR ROLE "); ok {
			c.noteList(rest)
		}
	case strings.HasPrefix(line, "ALTER DEFAULT PRIVILEGES FOR ROLE "):
		c.noteList(line[len("ALTER DEFAULT PRIVILEGES FOR ROLE "):])
		c.noteGrantee(line)
	case strings.HasPrefix(line, "GRANT "), strings.HasPrefix(line, "REVOKE "):
		c.noteGrantee(line)
	}
}

func (c *counter) noteGrantee(line string) {
	for _, kw := range []string{" TO ", " FROM "} {
		if i := strings.LastIndex(line, kw); i >= 0 {
			c.noteList(line[i+len(kw):])
			return
		}
	}
}

// noteList records the comma-separated role names at the start of s.
func (c *counter) noteList(s string) {
	for {
		s = strings.TrimLeft(s, " ")
		name, rest := readIdent(s)
		if name != "" && (strings.HasPrefix(s, `"`) || name != "PUBLIC" && name != "CURRENT_USER" && name != "SESSION_USER") {
			if c.roles == nil {
				c.roles = map[string]bool{}
			}
			c.roles[name] = true
		}
		if !strings.HasPrefix(rest, ",") {
			return
		}
		s = rest[1:]
	}
}

// missingRoles checks the roles the dumps name against the destination
// server: those it lacks and the restore does not create are an error
// that names them and says how to fix it, raised by the plan before
// anything is changed.
func missingRoles(ctx context.Context, dest conn, named map[string]bool, created []string, haveGlobals bool) error {
	if len(named) == 0 {
		return nil
	}
	pg, err := dest.with("postgres").connect(ctx)
	if err != nil {
		return err
	}
	defer pg.Close(context.Background())
	have, err := names(ctx, pg, "SELECT rolname FROM pg_roles")
	if err != nil {
		return fmt.Errorf("list roles: %w", err)
	}
	for _, n := range created {
		have[n] = true
	}
	var missing []string
	for n := range named {
		if !have[n] {
			missing = append(missing, quoteIfNeeded(n))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	fix := "restore with --globals to create them from the snapshot's " + globalsEntry + ", or create them first"
	if !haveGlobals {
		fix = "create them first (the snapshot holds no " + globalsEntry + ": set globals = true on the source to back up roles)"
	}
	return fmt.Errorf("%w: the dump names roles that do not exist at %s: %s; %s (nothing was changed)",
		ErrMissingRoles, dest.hostPort(), strings.Join(missing, ", "), fix)
}

// roleHint adds the fix to a replay that failed on a missing role.
func roleHint(err error) error {
	if err == nil || !strings.Contains(err.Error(), "role \"") || !strings.Contains(err.Error(), "does not exist") {
		return err
	}
	return fmt.Errorf("%w (the replay rolled back; a role of the dump is missing on this server: restore with --globals to create the snapshot's roles, or create it first)", err)
}
