package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/export"
	"github.com/velinhq/velin/engine/restore"
	"github.com/velinhq/velin/engine/workspace"
)

type importOptions struct {
	Target         string
	PassphraseFile string
}

// AddFlags registers the import flags.
func (o *importOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.Target, "target", "", "the target to import into, as TYPE.NAME (default: the only one)")
	f.StringVar(&o.PassphraseFile, "export-passphrase-file", "", "read the export's passphrase from FILE (default $VELIN_EXPORT_PASSPHRASE_FILE, else $VELIN_EXPORT_PASSPHRASE, else asked)")
}

func newBackupImportCommand(g *globalOptions) *cobra.Command {
	o := &importOptions{}
	cmd := &cobra.Command{
		Use:   "import FILE.zip",
		Short: "Put an exported snapshot back into a repository",
		Long: `Import reads a file written by 'velin backup export' and stores its
snapshot in a repository under the same id, time and sources, so that it
can be restored, browsed and verified like any other. Every entry of the
file is checked first (size and SHA-256); a damaged or truncated file, a
wrong passphrase, or a file from a newer velin imports nothing. An id the
repository already holds is refused.

The passphrase of an encrypted file comes from --export-passphrase-file,
$VELIN_EXPORT_PASSPHRASE_FILE, $VELIN_EXPORT_PASSPHRASE, or the terminal.

Exit codes: 0 imported, 1 failed (nothing became visible).`,
		Example: `  velin backup import /mnt/usb/snap.zip
  velin backup import snap.zip -r /srv/velin-repo --passphrase-file /root/repo.pass
  velin backup import snap.zip --target local.disk --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return runImport(ctx, g, ws, args[0], o)
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	g.addRepoFlags(cmd)
	return cmd
}

// importOutput is the --json shape of an import.
type importOutput struct {
	Snapshot string `json:"snapshot"`
	Target   string `json:"target"`
	Sources  int    `json:"sources"`
}

func runImport(ctx context.Context, g *globalOptions, ws *workspace.Workspace, path string, o *importOptions) error {
	addrs, err := targetsOf(ws, o.Target)
	if err != nil {
		return err
	}
	if len(addrs) != 1 {
		return fmt.Errorf("name the target to import into with --target TYPE.NAME (known: %s)", strings.Join(shortTargets(addrs), ", "))
	}
	r, err := ws.Repo(ctx, addrs[0], false)
	if err != nil {
		return err
	}
	if r == nil {
		return fmt.Errorf("%s has no repository yet: run a backup first", addrs[0])
	}
	a, closeFile, err := openExport(g, ws, path, o.PassphraseFile)
	if err != nil {
		return err
	}
	defer closeFile()
	m, err := export.Import(ctx, a, r)
	if err != nil {
		return err
	}
	out := importOutput{Snapshot: m.ID, Target: strings.TrimPrefix(addrs[0], "target."), Sources: len(m.Sources)}
	if g.JSON {
		return g.printJSON(out)
	}
	g.out("Imported snapshot %s (%d source(s)) into %s.\n", out.Snapshot, out.Sources, out.Target)
	return nil
}

// openExport opens an export file, asking for its passphrase only when it
// is encrypted, and registers the passphrase as a secret.
func openExport(g *globalOptions, ws *workspace.Workspace, path, passFile string) (*export.Archive, func(), error) {
	enc, err := export.IsEncrypted(path)
	if err != nil {
		return nil, nil, err
	}
	pass := ""
	if enc {
		if pass, err = g.exportPassphrase(passFile, false); err != nil {
			return nil, nil, err
		}
		ws.Redactor.Add(pass)
	}
	a, f, err := export.OpenFile(path, pass)
	if err != nil {
		return nil, nil, err
	}
	return a, func() { f.Close() }, nil
}

// runRestoreZip restores from an export file: the snapshot reader of a
// normal restore is the file, checked whole before anything is planned.
func runRestoreZip(ctx context.Context, g *globalOptions, args []string, o *restoreOptions) error {
	if o.Target != "" {
		return fmt.Errorf("--zip restores from a file: --target does not apply")
	}
	ws, err := g.exportWorkspace()
	if err != nil {
		return err
	}
	defer ws.Close()
	a, closeFile, err := openExport(g, ws, o.Zip, o.ZipPass)
	if err != nil {
		return err
	}
	defer closeFile()
	m := a.Snapshot()
	if len(args) == 1 && args[0] != "latest" && !strings.HasPrefix(m.ID, args[0]) {
		return fmt.Errorf("%s holds snapshot %s, not %s", o.Zip, m.ID, args[0])
	}
	if err := a.Verify(ctx); err != nil {
		return fmt.Errorf("%w: nothing was restored", err)
	}
	return restoreFrom(ctx, g, ws, a.Location(), restore.Request{Archive: a, Snapshot: m}, o)
}

// exportWorkspace is the plan's workspace with -f, else one without plan
// nor repository whose sources come from the export's manifest.
func (g *globalOptions) exportWorkspace() (*workspace.Workspace, error) {
	if g.Path != "" {
		return g.load()
	}
	ws := workspace.Standalone(g.workspaceOptions())
	g.redactor = ws.Redactor
	return ws, nil
}
