package workspace

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/engine/redact"
	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/local"
	"github.com/velinhq/velin/providers/provider"
)

// RepositoryTarget is the address of the one target of a workspace opened
// with OpenRepository.
const RepositoryTarget = "target.local.repository"

// OpenRepository makes a workspace without a plan file: its only target is
// the repository at path (`velin backup … -r PATH`), opened whatever its
// encryption with passphrase. Sources come from the snapshots' manifests
// (see Source). A missing repository is repo.ErrNoRepository, not an empty
// listing.
func OpenRepository(path, passphrase string, opts Options) (*Workspace, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", path, err)
	}
	cfg := &config.Config{Dir: ".", Sources: map[string]*config.Source{}, Targets: map[string]*config.Target{},
		Steps: map[string]*config.Step{}, Backups: map[string]*config.Backup{}, Restores: map[string]*config.Restore{},
		Variables: map[string]*config.Variable{}, Locals: map[string]*config.Local{}}
	if passphrase != "" {
		cfg.Secrets = []string{passphrase}
	}
	t := local.New(abs, provider.RepoOptions{Passphrase: passphrase, Encryption: repo.EncryptionAny})
	cfg.Targets[RepositoryTarget] = &config.Target{Type: "local", Name: "repository", Impl: t}
	return &Workspace{Config: cfg, Files: map[string]*hcl.File{}, Redactor: redact.New(cfg.Secrets...),
		opts: opts, repos: map[string]*repo.Repository{}, mustExist: true}, nil
}

// Standalone makes a workspace without a plan file nor a repository: its
// sources come from the snapshots' manifests (see Source), for a restore
// from an export file (`velin backup restore --zip`).
func Standalone(opts Options) *Workspace {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	cfg := &config.Config{Dir: ".", Sources: map[string]*config.Source{}, Targets: map[string]*config.Target{},
		Steps: map[string]*config.Step{}, Backups: map[string]*config.Backup{}, Restores: map[string]*config.Restore{},
		Variables: map[string]*config.Variable{}, Locals: map[string]*config.Local{}}
	return &Workspace{Config: cfg, Files: map[string]*hcl.File{}, Redactor: redact.New(),
		opts: opts, repos: map[string]*repo.Repository{}, mustExist: true}
}

// Source returns what restores and verifies the snapshot source sm: the
// plan's source of the same address when there is one, else a source made
// from what the manifest recorded (its type and identity), so that a
// snapshot stays restorable after its plan, or its block, is gone.
func (w *Workspace) Source(sm *repo.SourceManifest) (provider.Source, error) {
	if s, ok := w.Config.Sources["source."+sm.Key]; ok {
		return s.Impl, nil
	}
	if w.opts.Registry == nil {
		return nil, fmt.Errorf("source.%s is not in the configuration", sm.Key)
	}
	st, ok := w.opts.Registry.Source(sm.Type)
	if !ok || st.Recover == nil {
		return nil, fmt.Errorf("source.%s: this velin cannot restore sources of type %q without their plan", sm.Key, sm.Type)
	}
	s, err := st.Recover(sm.Identity)
	if err != nil {
		return nil, fmt.Errorf("source.%s: %w", sm.Key, err)
	}
	return s, nil
}

// missingRepository is the error for a missing repository at loc when the
// workspace must have one.
func missingRepository(loc string) error {
	if _, err := os.Stat(loc); err != nil {
		return fmt.Errorf("open repository %s: %w (check the path, or VELIN_REPOSITORY)", loc, repo.ErrNoRepository)
	}
	return fmt.Errorf("open repository %s: %w", loc, repo.ErrNoRepository)
}
