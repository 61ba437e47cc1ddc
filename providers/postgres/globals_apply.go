package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/velinhq/velin/providers/provider"
)

// globalsState is what the destination server has of a snapshot's
// globals: which dumped roles are missing (to create), which exist (left
// alone, as is the role velin connects as), which tablespaces can be
// created and which cannot.
type globalsState struct {
	create, exists []string // role names
	self           string   // the role velin connects as
	spaces         []*dumpedTablespace
	noLocation     []*dumpedTablespace // location missing on the server
	spaceExists    []string
}

// inspectGlobals compares g with the server of pg (read only).
func inspectGlobals(ctx context.Context, pg *pgx.Conn, g *globals) (*globalsState, error) {
	st := &globalsState{}
	if err := pg.QueryRow(ctx, "SELECT current_user").Scan(&st.self); err != nil {
		return nil, fmt.Errorf("read current user: %w", err)
	}
	have, err := names(ctx, pg, "SELECT rolname FROM pg_roles")
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	for _, r := range g.roles {
		if have[r.name] || r.name == st.self {
			st.exists = append(st.exists, r.name)
		} else {
			st.create = append(st.create, r.name)
		}
	}
	spaces, err := names(ctx, pg, "SELECT spcname FROM pg_tablespace")
	if err != nil {
		return nil, fmt.Errorf("list tablespaces: %w", err)
	}
	for _, ts := range g.tablespaces {
		switch {
		case spaces[ts.name]:
			st.spaceExists = append(st.spaceExists, ts.name)
		case locationExists(ctx, pg, ts.location):
			st.spaces = append(st.spaces, ts)
		default:
			st.noLocation = append(st.noLocation, ts)
		}
	}
	return st, nil
}

// locationExists says whether a directory exists on the server (which
// needs superuser or pg_read_server_files; without, it says no).
func locationExists(ctx context.Context, pg *pgx.Conn, dir string) bool {
	if dir == "" {
		return false
	}
	var isDir *bool
	err := pg.QueryRow(ctx, "SELECT (pg_stat_file($1, true)).isdir", dir).Scan(&isDir)
	return err == nil && isDir != nil && *isDir
}

func names(ctx context.Context, pg *pgx.Conn, q string) (map[string]bool, error) {
	rows, err := pg.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, n := range list {
		out[n] = true
	}
	return out, nil
}

// changes is the plan of a restore with --globals: roles by name only
// (never their attributes: the password hash is a secret), each a Part
// so that the plan shows it (it is not an item of its own).
func (st *globalsState) changes(g *globals) []provider.Change {
	var out []provider.Change
	for _, name := range st.create {
		c := provider.Change{Action: "create", What: "role " + quoteIfNeeded(name), Part: true,
			Snapshot: "from " + globalsEntry, Detail: "with its attributes, password and settings as dumped"}
		if groups := g.memberOf(name); len(groups) > 0 {
			c.Detail += "; member of " + strings.Join(groups, ", ")
		}
		out = append(out, c)
	}
	for _, name := range st.exists {
		detail := "exists on the server: left as it is"
		if name == st.self {
			detail = "velin connects as this role: left as it is"
		}
		out = append(out, provider.Change{Action: "unchanged", What: "role " + quoteIfNeeded(name), Detail: detail, Part: true})
	}
	for _, ts := range st.spaces {
		out = append(out, provider.Change{Action: "create", What: "tablespace " + quoteIfNeeded(ts.name), Snapshot: ts.location, Part: true})
	}
	for _, name := range st.spaceExists {
		out = append(out, provider.Change{Action: "unchanged", What: "tablespace " + quoteIfNeeded(name), Part: true,
			Detail: "exists on the server: left as it is"})
	}
	for _, ts := range st.noLocation {
		out = append(out, provider.Change{Action: "unchanged", What: "tablespace " + quoteIfNeeded(ts.name), Part: true,
			Detail: fmt.Sprintf("NOT created: its location %s is not a directory velin can see on the server; "+
				"create it (owned by the server's user) and restore again, or objects placed in it fail to restore", ts.location)})
	}
	return out
}

// applyGlobals creates the missing roles of g on the server of pg in one
// transaction (their memberships included), then the tablespaces whose
// location exists (CREATE TABLESPACE cannot run in a transaction). Roles
// that exist, and the role velin connects as, are never altered.
func applyGlobals(ctx context.Context, pg *pgx.Conn, g *globals) error {
	st, err := inspectGlobals(ctx, pg, g)
	if err != nil {
		return err
	}
	created := map[string]bool{}
	for _, n := range st.create {
		created[n] = true
	}
	err = pgx.BeginFunc(ctx, pg, func(tx pgx.Tx) error {
		for _, r := range g.roles {
			if !created[r.name] {
				continue
			}
			for _, s := range r.stmts {
				if _, err := tx.Exec(ctx, s); err != nil {
					return fmt.Errorf("create role %s: %w", r.name, err)
				}
			}
		}
		for _, gr := range g.grants {
			if !created[gr.member] {
				continue
			}
			if _, err := tx.Exec(ctx, gr.stmt); err != nil {
				return fmt.Errorf("grant membership to role %s: %w", gr.member, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("roles (none was created): %w", g.redact(err))
	}
	for _, ts := range st.spaces {
		for _, s := range ts.stmts {
			if _, err := pg.Exec(ctx, s); err != nil {
				return fmt.Errorf("tablespace %s: %w", ts.name, err)
			}
		}
	}
	return nil
}
