package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/velinhq/velin/engine/plan"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
)

// errNoSuchSnapshot marks findSnapshot's "not in any target searched".
var errNoSuchSnapshot = errors.New("no such snapshot")

// located is a snapshot with the repository that holds it.
type located struct {
	Target   string
	Repo     *repo.Repository
	Snapshot *repo.Manifest
}

// targetsOf returns the target addresses to search: the one named with
// --target (as "local.disk" or "target.local.disk") or all of them.
func targetsOf(ws *workspace.Workspace, target string) ([]string, error) {
	if target == "" {
		return ws.TargetAddrs(), nil
	}
	addr := "target." + strings.TrimPrefix(target, "target.")
	if _, err := ws.Target(addr); err != nil {
		return nil, err
	}
	return []string{addr}, nil
}

// findSnapshot finds a snapshot by id, unique prefix or "latest" in the
// configured targets.
func findSnapshot(ctx context.Context, ws *workspace.Workspace, id, target string) (*located, error) {
	addrs, err := targetsOf(ws, target)
	if err != nil {
		return nil, err
	}
	var found []*located
	for _, addr := range addrs {
		r, err := ws.Repo(ctx, addr, false)
		if err != nil {
			return nil, err
		}
		if r == nil {
			continue
		}
		m, err := plan.ResolveSnapshot(ctx, r, id, "")
		if errors.Is(err, repo.ErrSnapshotNotFound) || errors.Is(err, plan.ErrNoSnapshot) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found = append(found, &located{Target: addr, Repo: r, Snapshot: m})
	}
	found = preferExact(found, id)
	switch {
	case len(found) == 0:
		return nil, fmt.Errorf("no snapshot %q in %s; `velin backup list` shows the snapshots: %w", id, strings.Join(addrs, ", "), errNoSuchSnapshot)
	case len(found) == 1:
		return found[0], nil
	case id == "" || id == "latest":
		best := found[0]
		for _, f := range found[1:] {
			if f.Snapshot.Time.After(best.Snapshot.Time) {
				best = f
			}
		}
		return best, nil
	}
	return nil, fmt.Errorf("snapshot %q exists in several targets (%s, %s): choose one with --target", id, found[0].Target, found[1].Target)
}

// preferExact keeps the snapshots whose id is id exactly when there are
// any: "…-full" names that snapshot, not also "…-full-2" of another target.
func preferExact(found []*located, id string) []*located {
	var exact []*located
	for _, f := range found {
		if f.Snapshot.ID == id {
			exact = append(exact, f)
		}
	}
	if len(exact) == 0 {
		return found
	}
	return exact
}
