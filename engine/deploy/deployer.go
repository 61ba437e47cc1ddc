package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/repo"
)

// Errors a caller tells apart.
var (
	// ErrUnknownVersion: no version or snapshot with this id is stored.
	ErrUnknownVersion = errors.New("unknown version")
	// ErrNotOurs: root/current exists but is not a symlink velin made.
	ErrNotOurs = errors.New("current is not a symlink velin made")
	// ErrEmptyLabel: create-version or create-snapshot without a label.
	ErrEmptyLabel = errors.New("the label is empty")
)

// Options are what a Deployer needs besides its block.
type Options struct {
	// Repo opens the target's repository; create says whether to make one
	// when missing (only writes create). Required.
	Repo func(ctx context.Context, create bool) (*repo.Repository, error)
	// PlanDir is the plan's directory: where git is asked for the commit.
	PlanDir string
	// StateDir overrides the state directory (root/.velin): the CLI passes
	// $VELIN_STATE_DIR/<deployment> when set.
	StateDir string
	// Env is the environment commands run with; nil: os.Environ().
	Env []string
	// Stdout and Stderr receive the commands' output (redacting writers);
	// nil discards it.
	Stdout, Stderr io.Writer
	// Log receives one line per step ("stopping v1.2.0"); nil: none.
	Log func(msg string)
	// Clock is the time source; nil: time.Now.
	Clock func() time.Time
	// Origins, when its Dir is set, is the host's index a switch records
	// itself in (with Plan) before it changes anything, so that recovery
	// without a plan at hand finds it.
	Origins Origins
	// Plan is the caller's reference to the plan, recorded in Origins.
	Plan json.RawMessage
}

// Deployer acts on one deployment block.
type Deployer struct {
	cfg      *config.Deployment
	opts     Options
	stateDir string
}

// Release is a release on disk: its version (or snapshot id) and the
// absolute path of its directory. The zero Release means none.
type Release struct {
	Version string `json:"version"`
	Path    string `json:"path"`
}

// Open returns a Deployer for cfg. It changes nothing on disk: the state
// directory is created by the first write.
func Open(cfg *config.Deployment, opts Options) (*Deployer, error) {
	if cfg == nil || opts.Repo == nil {
		return nil, errors.New("deploy: open: a deployment block and a repository opener are required")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	dir := opts.StateDir
	if dir == "" {
		dir = filepath.Join(cfg.Root, ".velin")
	}
	return &Deployer{cfg: cfg, opts: opts, stateDir: dir}, nil
}

// Name is the deployment's name.
func (d *Deployer) Name() string { return d.cfg.Name }

// Config is the deployment block.
func (d *Deployer) Config() *config.Deployment { return d.cfg }

// StateDir is where the deployment's state and journal live (0700); the
// transaction journal belongs there too.
func (d *Deployer) StateDir() string { return d.stateDir }

func (d *Deployer) logf(format string, args ...any) {
	if d.opts.Log != nil {
		d.opts.Log(fmt.Sprintf(format, args...))
	}
}

// ensureDirs creates root, root/releases and the state directory, and
// proves root is writable: a clear error before anything changes.
func (d *Deployer) ensureDirs() error {
	for _, dir := range []string{d.cfg.Root, d.releasesDir()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("deployment %s: root %s is not writable: %w", d.cfg.Name, d.cfg.Root, err)
		}
	}
	if err := os.MkdirAll(d.stateDir, 0o700); err != nil {
		return fmt.Errorf("deployment %s: state directory: %w", d.cfg.Name, err)
	}
	f, err := os.CreateTemp(d.cfg.Root, ".velin-probe-*")
	if err != nil {
		return fmt.Errorf("deployment %s: root %s is not writable: %w", d.cfg.Name, d.cfg.Root, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
