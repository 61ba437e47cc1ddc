package workspace

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/redact"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/counting"
	"github.com/velinhq/velin/engine/storage/local"
	"github.com/velinhq/velin/providers/provider"
)

// Options say what to load and how repositories behave.
type Options struct {
	Path     string // -f: a file or directory; "" = current directory
	Vars     []string
	VarFiles []string
	Env      []string
	Registry *provider.Registry
	Clock    func() time.Time
	Version  string           // velin version, recorded in manifests
	Warn     func(msg string) // stale locks and similar notices
	// LockTimeout is how long a command waits for a locked repository.
	LockTimeout time.Duration
	// PruneMargin and PruneGrace are repo.Options' (0: the defaults).
	PruneMargin, PruneGrace time.Duration
	// Host, LockLease and ListLag are repo.Options' (VELIN_HOST,
	// VELIN_LOCK_LEASE, VELIN_LIST_LAG; zero: the defaults).
	Host               string
	LockLease, ListLag time.Duration
	// StatsFile, when set, receives the storage requests the workspace
	// made, as JSON, when it is closed (VELIN_STATS_FILE; see Requests).
	StatsFile string
	// CacheDir is the base directory of the local cache of repositories
	// on remote storages (repo.Options.CacheDir); "" = no cache.
	CacheDir string
}

// Workspace is a loaded configuration and its repositories. Safe for
// concurrent use.
type Workspace struct {
	Config   *config.Config
	Files    map[string]*hcl.File
	Redactor *redact.Redactor
	opts     Options

	mu    sync.Mutex
	repos map[string]*repo.Repository // by target address, or "dir:"+path
	// absent holds the storages of repositories found missing by a
	// read-only open, by key: the plan's checks look once per command, not
	// once each, and a backup creating the repository then reuses the
	// storage (an S3 target is not checked twice).
	absent map[string]storage.Storage
	// counters count each opened storage's requests, by the repos key.
	counters map[string]*counting.Storage

	// mustExist makes a missing repository an error (OpenRepository)
	// instead of "no snapshots yet".
	mustExist bool
}

// Load reads the configuration. The Workspace is never nil: on error its
// Config is partial and only Files and Redactor may be used, to print the
// diagnostics with their snippets and with secrets masked.
func Load(opts Options) (*Workspace, hcl.Diagnostics) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	cfg, files, diags := config.Load(config.LoadOptions{
		Path: opts.Path, Vars: opts.Vars, VarFiles: opts.VarFiles,
		Env: opts.Env, Registry: opts.Registry, Now: opts.Clock,
	})
	ws := &Workspace{
		Config:   cfg,
		Files:    files,
		Redactor: redact.New(cfg.Secrets...),
		opts:     opts,
		repos:    map[string]*repo.Repository{},
		absent:   map[string]storage.Storage{},
	}
	return ws, diags
}

// Now is the workspace clock.
func (w *Workspace) Now() time.Time { return w.opts.Clock() }

// Version is the velin version recorded in manifests.
func (w *Workspace) Version() string { return w.opts.Version }

// TargetAddrs lists the configured targets, sorted.
func (w *Workspace) TargetAddrs() []string {
	var out []string
	for addr := range w.Config.Targets {
		out = append(out, addr)
	}
	sort.Strings(out)
	return out
}

// Target returns the configured target at addr ("target.local.disk").
func (w *Workspace) Target(addr string) (*config.Target, error) {
	t, ok := w.Config.Targets[addr]
	if !ok {
		return nil, fmt.Errorf("unknown target %q (known: %v)", addr, w.TargetAddrs())
	}
	return t, nil
}

func (w *Workspace) repoOptions(t provider.Target) (repo.Options, error) {
	ro := t.Repo()
	pass, err := ro.Secret() // decoded once by the target; read here only when Open was not called
	if err != nil {
		return repo.Options{}, err
	}
	if ro.KeyFile != "" {
		w.Redactor.Add(pass)
	}
	return repo.Options{
		Passphrase:  pass,
		Encryption:  ro.Encryption,
		Compression: ro.Compression,
		Clock:       w.opts.Clock,
		Warn:        w.opts.Warn,
		Version:     w.opts.Version,
		LockTimeout: w.opts.LockTimeout,
		PruneMargin: w.opts.PruneMargin,
		PruneGrace:  w.opts.PruneGrace,
		Host:        w.opts.Host,
		LockLease:   w.opts.LockLease,
		ListLag:     w.opts.ListLag,
	}, nil
}

// Repo opens the repository of a target, creating it when create is true
// and none exists. With create false a missing repository is (nil, nil):
// plans and listings must not create anything.
func (w *Workspace) Repo(ctx context.Context, targetAddr string, create bool) (*repo.Repository, error) {
	t, err := w.Target(targetAddr)
	if err != nil {
		return nil, err
	}
	return w.open(ctx, targetAddr, t.Impl, "", create)
}

// RepoAt opens (or creates) a repository in a local directory with the
// settings of the given target: `backup create --destination DIR`.
func (w *Workspace) RepoAt(ctx context.Context, dir, likeTarget string, create bool) (*repo.Repository, error) {
	t, err := w.Target(likeTarget)
	if err != nil {
		return nil, err
	}
	return w.open(ctx, "dir:"+dir, t.Impl, dir, create)
}

func (w *Workspace) open(ctx context.Context, key string, t provider.Target, dir string, create bool) (*repo.Repository, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r, ok := w.repos[key]; ok {
		return r, nil
	}
	if !create && w.absent[key] != nil && !w.mustExist {
		return nil, nil
	}
	loc := dir
	if loc == "" {
		loc = t.Location()
	}
	if !create && isMissingDir(loc) {
		if w.mustExist {
			return nil, missingRepository(loc)
		}
		return nil, nil
	}
	st, err := w.reuseOrOpen(ctx, key, t, dir)
	if err != nil {
		return nil, err
	}
	o, err := w.repoOptions(t)
	if err != nil {
		return nil, err
	}
	o.CacheDir = w.cacheDir(st)
	var r *repo.Repository
	switch {
	case create && w.absent[key] != nil:
		r, err = initFound(ctx, st, o) // just found missing: Init checks again
	case create:
		r, _, err = repo.OpenOrInit(ctx, st, o)
	default:
		r, err = repo.Open(ctx, st, o)
		if errors.Is(err, repo.ErrNoRepository) && !w.mustExist {
			w.absent[key] = st
			return nil, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", st.Location(), err)
	}
	w.repos[key] = r
	return r, nil
}

// initFound creates the repository that a read-only open found missing
// moments ago in this command, or opens the one another process created
// meanwhile.
func initFound(ctx context.Context, st storage.Storage, o repo.Options) (*repo.Repository, error) {
	r, err := repo.InitAfterOpen(ctx, st, o)
	if errors.Is(err, repo.ErrRepositoryExists) {
		return repo.Open(ctx, st, o)
	}
	return r, err
}

// isMissingDir reports whether loc is a local path that does not exist, so
// that opening it for reading would create it.
func isMissingDir(loc string) bool {
	if loc == "" || loc[0] != '/' {
		return false
	}
	_, err := os.Stat(loc)
	return errors.Is(err, os.ErrNotExist)
}

// reuseOrOpen returns the storage in which a read-only open found no
// repository, or opens the target's (or dir's). The caller holds w.mu.
func (w *Workspace) reuseOrOpen(ctx context.Context, key string, t provider.Target, dir string) (storage.Storage, error) {
	if st := w.absent[key]; st != nil {
		return st, nil
	}
	st, err := w.storage(ctx, key, t, dir)
	if err != nil {
		if addr, ok := strings.CutPrefix(key, "target."); ok { // name it as the plan does
			return nil, fmt.Errorf("target %s: %w", addr, err)
		}
		return nil, err
	}
	return st, nil
}

// storage opens the storage of a target (or the directory dir), counting
// its requests under key (see Requests).
func (w *Workspace) storage(ctx context.Context, key string, t provider.Target, dir string) (storage.Storage, error) {
	var st storage.Storage
	var err error
	if dir != "" {
		st, err = local.New(dir)
	} else {
		st, err = t.Open(ctx)
	}
	if err != nil {
		return nil, err
	}
	return w.count(key, st), nil
}

// Close closes every opened repository.
func (w *Workspace) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	first := w.writeStats()
	for k, r := range w.repos {
		if err := r.Close(); err != nil && first == nil {
			first = err
		}
		delete(w.repos, k)
	}
	return first
}

// CopyTarget opens the repository of target addr to copy src's snapshots
// into; when there is none it creates one that shares src's chunker
// (repo.InitCopyTarget), with the target's own passphrase.
func (w *Workspace) CopyTarget(ctx context.Context, addr string, src *repo.Repository) (*repo.Repository, error) {
	if r, err := w.Repo(ctx, addr, false); err != nil || r != nil {
		return r, err
	}
	t, err := w.Target(addr)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	st, err := w.storage(ctx, addr, t.Impl, "")
	if err != nil {
		return nil, err
	}
	o, err := w.repoOptions(t.Impl)
	if err != nil {
		return nil, err
	}
	o.CacheDir = w.cacheDir(st)
	r, err := repo.InitCopyTarget(ctx, st, o, src)
	if errors.Is(err, repo.ErrRepositoryExists) {
		r, err = repo.Open(ctx, st, o) // created meanwhile by another process
	}
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", st.Location(), err)
	}
	w.repos[addr] = r
	return r, nil
}
