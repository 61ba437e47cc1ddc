package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/all"
	"github.com/velinhq/velin/providers/provider"
)

// repoOptions are the flags of commands that work on a repository alone,
// without a plan file (disaster recovery): -r PATH and where the
// passphrase comes from.
type repoOptions struct {
	Path           string
	PassphraseFile string
}

// addRepoFlags registers -r/--repo and --passphrase-file on cmd.
func (g *globalOptions) addRepoFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVarP(&g.repo.Path, "repo", "r", "", "use the repository at PATH, without a plan file (default $VELIN_REPOSITORY)")
	fs.StringVar(&g.repo.PassphraseFile, "passphrase-file", "", "with -r: read the passphrase from FILE (default $VELIN_PASSPHRASE_FILE, else $VELIN_PASSPHRASE)")
}

// getenv looks name up in the command's environment.
func (g *globalOptions) getenv(name string) string {
	for _, kv := range g.env.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// cacheDir is the local cache's base directory: VELIN_CACHE_DIR, else
// $XDG_CACHE_HOME/velin or ~/.cache/velin (the platform's user cache
// directory outside Linux); "" with --no-cache or VELIN_CACHE_DIR=off.
func (g *globalOptions) cacheDir() string {
	d := g.getenv("VELIN_CACHE_DIR")
	switch {
	case g.NoCache || d == "off":
		return ""
	case d != "":
		return d
	case runtime.GOOS != "linux":
	case filepath.IsAbs(g.getenv("XDG_CACHE_HOME")):
		return filepath.Join(g.getenv("XDG_CACHE_HOME"), "velin")
	case filepath.IsAbs(g.getenv("HOME")):
		return filepath.Join(g.getenv("HOME"), ".cache", "velin")
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "velin")
}

// repoPath is the repository named by -r or VELIN_REPOSITORY, or "".
func (g *globalOptions) repoPath() string {
	if g.repo.Path != "" {
		return g.repo.Path
	}
	return g.getenv("VELIN_REPOSITORY")
}

// repoPassphrase reads the passphrase for -r: --passphrase-file,
// VELIN_PASSPHRASE_FILE, then VELIN_PASSPHRASE. Empty is allowed here (an
// unencrypted repository needs none; an encrypted one says so on open).
func (g *globalOptions) repoPassphrase() (string, error) {
	file := g.repo.PassphraseFile
	if file == "" {
		file = g.getenv("VELIN_PASSPHRASE_FILE")
	}
	if file == "" {
		return g.getenv("VELIN_PASSPHRASE"), nil
	}
	return provider.ReadPassphraseFile(file)
}

// withRepoWorkspace runs fn on the repository named by -r/VELIN_REPOSITORY
// when there is one, else on the plan's workspace.
func withRepoWorkspace(g *globalOptions, fn func(ctx context.Context, ws *workspace.Workspace) error) func(ctx context.Context) error {
	path := g.repoPath()
	if path == "" {
		return withWorkspace(g, fn)
	}
	return func(ctx context.Context) error {
		if g.Path != "" {
			return errors.New("-r/--repo and -f/--file exclude each other: -r works without a plan")
		}
		pass, err := g.repoPassphrase()
		if err != nil {
			return err
		}
		ws, err := workspace.OpenRepository(path, pass, g.workspaceOptions())
		if err != nil {
			return err
		}
		g.redactor = ws.Redactor
		defer ws.Close()
		return fn(ctx, ws)
	}
}

// workspaceOptions are the settings every workspace gets from the flags.
func (g *globalOptions) workspaceOptions() workspace.Options {
	return workspace.Options{
		Path: g.Path, Vars: g.Vars, VarFiles: g.VarFiles, Env: g.env.Environ,
		Registry: all.Registry(), Clock: g.env.Clock, Version: Version,
		Warn: g.warn, LockTimeout: g.LockTimeout,
		PruneMargin: g.pruneSetting("VELIN_PRUNE_MARGIN"), PruneGrace: g.pruneSetting("VELIN_PRUNE_GRACE"),
		StatsFile: g.getenv("VELIN_STATS_FILE"), CacheDir: g.cacheDir(),
		Host: g.getenv("VELIN_HOST"), LockLease: g.duration("VELIN_LOCK_LEASE", repo.MinLockLease),
		ListLag: g.duration("VELIN_LIST_LAG", 0),
	}
}

// duration reads a duration of at least least from the environment;
// unset is 0 (the default), a malformed or smaller value is ignored with
// a warning.
func (g *globalOptions) duration(name string, least time.Duration) time.Duration {
	v := g.getenv(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < least || d < 0 {
		g.warn(fmt.Sprintf("ignoring %s=%q: want a duration of at least %s, such as 30m", name, v, least))
		return 0
	}
	return d
}

// pruneSetting reads a prune safety duration from the environment for
// repo.Options: unset is 0 (the default), "0" is -1 (none). A malformed
// value is ignored with a warning.
func (g *globalOptions) pruneSetting(name string) time.Duration {
	v := g.getenv(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		g.warn(fmt.Sprintf("ignoring %s=%q: want a duration such as 1h or 0", name, v))
		return 0
	}
	if d == 0 {
		return -1
	}
	return d
}
