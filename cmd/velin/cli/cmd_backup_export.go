package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/velinhq/velin/engine/bytesize"
	"github.com/velinhq/velin/engine/export"
	"github.com/velinhq/velin/engine/workspace"
	"github.com/velinhq/velin/providers/provider"
)

type exportOptions struct {
	Out            string
	Target         string
	Plain          bool
	PassphraseFile string
	Compress       string
}

// AddFlags registers the export flags.
func (o *exportOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.Out, "out", "", "write the export to this file (required)")
	f.StringVar(&o.Target, "target", "", "only look in this target, as TYPE.NAME")
	f.BoolVar(&o.Plain, "plain", false, "write an unencrypted ZIP")
	f.StringVar(&o.Compress, "compress", "", `"zstd": write SQL dumps as <db>.sql.zst (zstd -d opens them) instead of deflated <db>.sql`)
	f.StringVar(&o.PassphraseFile, "export-passphrase-file", "", "read the export's passphrase from FILE (default $VELIN_EXPORT_PASSPHRASE_FILE, else $VELIN_EXPORT_PASSPHRASE, else asked)")
	_ = cmd.MarkFlagRequired("out")
}

func newBackupExportCommand(g *globalOptions) *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export ID --out FILE.zip",
		Short: "Write a snapshot as one file that standard tools open",
		Long: `Export writes one snapshot (ID, a unique prefix, or latest) as a single
ZIP: manifest.toml, then each source in its native form (a plain SQL dump
per database, the SQLite database file, Redis as RESTORE commands for
redis-cli --pipe, file trees and buckets as tar). It streams: nothing is
staged on disk. docs/operations.md says how to restore it by hand.
--compress zstd writes each SQL dump as "<db>.sql.zst" (a little smaller,
faster to write and read back: docs/performance.md; "zstd -d" opens it);
import and restore read both forms.

Unless --plain, the ZIP is encrypted with age to a passphrase ("age -d"
opens it): --export-passphrase-file, $VELIN_EXPORT_PASSPHRASE_FILE,
$VELIN_EXPORT_PASSPHRASE, or asked twice on the terminal. The file is
written under a temporary name and renamed when complete.

Exit codes: 0 written, 1 failed (nothing is left at --out).`,
		Example: `  velin backup export latest --out /mnt/usb/velin-latest.zip
  VELIN_EXPORT_PASSPHRASE_FILE=/root/export.pass velin backup export 20261121-0515 --out snap.zip
  velin backup export latest --plain --out snap.zip
  velin backup export latest --compress zstd --out snap.zip
  age -d snap.zip > plain.zip && unzip plain.zip`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return runExport(ctx, g, ws, args[0], o)
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	g.addRepoFlags(cmd)
	return cmd
}

// exportOutput is the --json shape of an export.
type exportOutput struct {
	Snapshot  string `json:"snapshot"`
	File      string `json:"file"`
	Encrypted bool   `json:"encrypted"`
	Bytes     int64  `json:"bytes"`
	Sources   int    `json:"sources"`
}

func runExport(ctx context.Context, g *globalOptions, ws *workspace.Workspace, id string, o *exportOptions) error {
	loc, err := findSnapshot(ctx, ws, id, o.Target)
	if err != nil {
		return err
	}
	if o.Compress != "" && o.Compress != export.CompressZstd {
		return fmt.Errorf("--compress %q: velin knows --compress %s", o.Compress, export.CompressZstd)
	}
	opts := export.Options{Plain: o.Plain, Version: Version, Now: g.env.Clock(), Compress: o.Compress}
	if !o.Plain {
		if opts.Passphrase, err = g.exportPassphrase(o.PassphraseFile, true); err != nil {
			return err
		}
		ws.Redactor.Add(opts.Passphrase)
	}
	man, err := export.WriteFile(ctx, o.Out, loc.Repo, loc.Snapshot, opts)
	if err != nil {
		return err
	}
	st, err := os.Stat(o.Out)
	if err != nil {
		return err
	}
	out := exportOutput{Snapshot: man.Snapshot, File: o.Out, Encrypted: !o.Plain, Bytes: st.Size(), Sources: len(man.Sources)}
	if g.JSON {
		return g.printJSON(out)
	}
	how := "encrypted with age"
	if o.Plain {
		how = "unencrypted"
	}
	g.out("Exported snapshot %s (%d source(s)) to %s: %s, %s.\n", out.Snapshot, out.Sources, o.Out, bytesize.Format(out.Bytes), how)
	return nil
}

// exportPassphrase reads an export's passphrase: the flag's file, then
// $VELIN_EXPORT_PASSPHRASE_FILE, then $VELIN_EXPORT_PASSPHRASE, then the
// terminal (twice when twice). Never from argv.
func (g *globalOptions) exportPassphrase(file string, twice bool) (string, error) {
	if file == "" {
		file = g.getenv("VELIN_EXPORT_PASSPHRASE_FILE")
	}
	switch {
	case file != "":
		if st, err := os.Stat(file); err == nil && st.Mode().Perm()&0o077 != 0 {
			g.warn(fmt.Sprintf("%s is readable by others (mode %v): chmod 600 it", file, st.Mode().Perm()))
		}
		return provider.ReadPassphraseFile(file)
	case g.getenv("VELIN_EXPORT_PASSPHRASE") != "":
		return g.getenv("VELIN_EXPORT_PASSPHRASE"), nil
	}
	f, ok := g.env.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no export passphrase: use --export-passphrase-file FILE or set VELIN_EXPORT_PASSPHRASE (stdin is not a terminal to ask on), or --plain")
	}
	if twice {
		return askTwice(g, f)
	}
	fmt.Fprint(g.env.Stderr, "Export passphrase: ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(g.env.Stderr)
	if err != nil {
		return "", fmt.Errorf("read export passphrase: %w", err)
	}
	return string(b), nil
}
