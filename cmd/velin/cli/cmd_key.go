package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/engine/workspace"
)

// keyOptions are the flags of `velin key` commands.
type keyOptions struct {
	Target            string
	NewPassphraseFile string
	Yes               bool
}

func newKeyCommand(g *globalOptions) *cobra.Command {
	o := &keyOptions{}
	cmd := &cobra.Command{
		Use:   "key",
		Short: "List, add and remove the passphrases that open a repository",
		Long: `A repository's data is encrypted with one master key; each passphrase opens
a key file that holds it. Adding a passphrase or changing one writes a new
key file and re-encrypts no data. The repository is the plan's target (the
only one, or --target), or the one named by -r/VELIN_REPOSITORY.

A new passphrase is read from --new-passphrase-file, else from
VELIN_NEW_PASSPHRASE, else asked twice on a terminal.`,
		Example: `  velin key list
  velin key add --new-passphrase-file /root/second.pass
  velin key remove 3f9a1c2e
  velin key passwd -r /mnt/usb/velin`,
	}
	cmd.AddCommand(newKeyListCommand(g, o), newKeyAddCommand(g, o), newKeyRemoveCommand(g, o), newKeyPasswdCommand(g, o))
	return cmd
}

// keyCommand builds a `velin key VERB` command running fn on the repository.
func keyCommand(g *globalOptions, o *keyOptions, c *cobra.Command, fn func(ctx context.Context, r *repo.Repository, args []string) error) *cobra.Command {
	c.RunE = func(cmd *cobra.Command, args []string) error {
		return withRepoWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
			r, err := keyRepository(ctx, ws, o.Target)
			if err != nil {
				return err
			}
			return fn(ctx, r, args)
		})(cmd.Context())
	}
	c.Flags().StringVar(&o.Target, "target", "", "the target whose repository to use, as TYPE.NAME (default: the only one)")
	g.addRepoFlags(c)
	return c
}

func keyRepository(ctx context.Context, ws *workspace.Workspace, target string) (*repo.Repository, error) {
	addrs, err := targetsOf(ws, target)
	if err != nil {
		return nil, err
	}
	if len(addrs) != 1 {
		return nil, fmt.Errorf("key: the configuration has %d targets (%s): choose one with --target", len(addrs), strings.Join(addrs, ", "))
	}
	r, err := ws.Repo(ctx, addrs[0], false)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("key: %s: %w", addrs[0], repo.ErrNoRepository)
	}
	return r, nil
}

func newKeyListCommand(g *globalOptions, o *keyOptions) *cobra.Command {
	return keyCommand(g, o, &cobra.Command{
		Use:     "list",
		Short:   "List the key files of the repository (a table; --json for JSON)",
		Example: "  velin key list\n  velin key list -r /mnt/usb/velin --json",
		Args:    cobra.NoArgs,
	}, func(ctx context.Context, r *repo.Repository, _ []string) error {
		keys, err := r.Keys(ctx)
		if err != nil {
			return fmt.Errorf("key list: %w", err)
		}
		if g.JSON {
			return g.printJSON(keys)
		}
		var rows [][]string
		for _, k := range keys {
			cur := ""
			if k.Current {
				cur = "*"
			}
			rows = append(rows, []string{cur, k.ID[:min(12, len(k.ID))], k.Host, k.Created.Local().Format("2006-01-02 15:04:05 MST")})
		}
		return table(redactWriter(g, g.env.Stdout), []string{"", "ID", "HOST", "CREATED"}, rows)
	})
}

func newKeyAddCommand(g *globalOptions, o *keyOptions) *cobra.Command {
	c := keyCommand(g, o, &cobra.Command{
		Use:     "add",
		Short:   "Add a passphrase that opens the repository",
		Example: "  VELIN_NEW_PASSPHRASE=... velin key add\n  velin key add --new-passphrase-file /root/second.pass",
		Args:    cobra.NoArgs,
	}, func(ctx context.Context, r *repo.Repository, _ []string) error {
		pass, err := g.newPassphrase(o)
		if err != nil {
			return err
		}
		id, err := r.AddKey(ctx, pass)
		if err != nil {
			return fmt.Errorf("key add: %w", err)
		}
		return g.keyDone("added", id)
	})
	c.Flags().StringVar(&o.NewPassphraseFile, "new-passphrase-file", "", "read the new passphrase from FILE")
	return c
}

func newKeyRemoveCommand(g *globalOptions, o *keyOptions) *cobra.Command {
	c := keyCommand(g, o, &cobra.Command{
		Use:   "remove ID",
		Short: "Remove a key file: its passphrase no longer opens the repository",
		Long: `Remove deletes one key file (by id or a prefix of at least 4 characters).
The key that opened the repository for this command cannot be removed, so a
repository always keeps at least one passphrase that works.`,
		Example: "  velin key remove 3f9a1c2e --yes",
		Args:    cobra.ExactArgs(1),
	}, func(ctx context.Context, r *repo.Repository, args []string) error {
		if !o.Yes && !g.confirm(fmt.Sprintf("Remove key %s from %s? Its passphrase will no longer open the repository.", args[0], r.Location())) {
			return errors.New("key remove: cancelled")
		}
		if err := r.RemoveKey(ctx, args[0]); err != nil {
			return fmt.Errorf("key remove: %w", err)
		}
		return g.keyDone("removed", args[0])
	})
	c.Flags().BoolVar(&o.Yes, "yes", false, "do not ask for confirmation")
	return c
}

func newKeyPasswdCommand(g *globalOptions, o *keyOptions) *cobra.Command {
	c := keyCommand(g, o, &cobra.Command{
		Use:   "passwd",
		Short: "Change the passphrase that opened the repository",
		Long: `Passwd adds a key file for the new passphrase, then removes the one the
current passphrase opened (a crash in between leaves both working). Other
passphrases are kept. Remember to update VELIN_PASSPHRASE or the key_file.`,
		Example: "  velin key passwd --new-passphrase-file /root/new.pass",
		Args:    cobra.NoArgs,
	}, func(ctx context.Context, r *repo.Repository, _ []string) error {
		pass, err := g.newPassphrase(o)
		if err != nil {
			return err
		}
		id, err := r.ChangePassphrase(ctx, pass)
		if err != nil {
			return fmt.Errorf("key passwd: %w", err)
		}
		return g.keyDone("changed", id)
	})
	c.Flags().StringVar(&o.NewPassphraseFile, "new-passphrase-file", "", "read the new passphrase from FILE")
	return c
}

func (g *globalOptions) keyDone(what, id string) error {
	if g.JSON {
		return g.printJSON(map[string]string{"result": what, "id": id})
	}
	g.out("Key %s %s.\n", id[:min(12, len(id))], what)
	return nil
}

// newPassphrase reads a new passphrase: --new-passphrase-file, then
// VELIN_NEW_PASSPHRASE, then twice from the terminal.
func (g *globalOptions) newPassphrase(o *keyOptions) (string, error) {
	var pass string
	switch {
	case o.NewPassphraseFile != "":
		b, err := os.ReadFile(o.NewPassphraseFile)
		if err != nil {
			return "", fmt.Errorf("read new passphrase: %w", err)
		}
		pass = strings.TrimRight(string(b), "\r\n")
	case g.getenv("VELIN_NEW_PASSPHRASE") != "":
		pass = g.getenv("VELIN_NEW_PASSPHRASE")
	default:
		f, ok := g.env.Stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", errors.New("no new passphrase: use --new-passphrase-file FILE or set VELIN_NEW_PASSPHRASE (stdin is not a terminal to ask on)")
		}
		var err error
		if pass, err = askTwice(g, f); err != nil {
			return "", err
		}
	}
	if pass == "" {
		return "", errors.New("the new passphrase is empty")
	}
	if len(pass) < 12 {
		g.warn(fmt.Sprintf("the new passphrase has only %d characters; a long one (12 or more) resists guessing far better", len(pass)))
	}
	return pass, nil
}

func askTwice(g *globalOptions, f *os.File) (string, error) {
	fmt.Fprint(g.env.Stderr, "New passphrase: ")
	a, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(g.env.Stderr)
	if err != nil {
		return "", fmt.Errorf("read new passphrase: %w", err)
	}
	fmt.Fprint(g.env.Stderr, "Repeat it: ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(g.env.Stderr)
	if err != nil {
		return "", fmt.Errorf("read new passphrase: %w", err)
	}
	if string(a) != string(b) {
		return "", errors.New("the two passphrases differ")
	}
	return string(a), nil
}
