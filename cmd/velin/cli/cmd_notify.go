package cli

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/velinhq/velin/engine/notify"
	"github.com/velinhq/velin/engine/workspace"
)

func newNotifyCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "Check the notify blocks (alerts)",
		Example: `  velin notify test notify.webhook.ops
  velin notify test email.oncall --timeout 30s`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newNotifyTestCommand(g))
	return cmd
}

// notifyTestOptions are the flags of `velin notify test`.
type notifyTestOptions struct {
	Timeout time.Duration
}

func (o *notifyTestOptions) AddFlags(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&o.Timeout, "timeout", notify.DefaultPolicy().Timeout, "how long to wait for the destination to accept the message")
}

func newNotifyTestCommand(g *globalOptions) *cobra.Command {
	o := &notifyTestOptions{}
	cmd := &cobra.Command{
		Use:   "test NAME",
		Short: "Send a test message through a notify block",
		Long: `Sends one test message (event "test", level "info") through the notify
block NAME (notify.webhook.ops, or webhook.ops), once, without retrying, so
that you can check the URL, the credentials and the receiver.

Exit codes:
  0    the destination accepted the message
  1    it could not be sent (the error says why; secrets are never printed),
       or there is no such notify block`,
		Example: `  velin notify test notify.webhook.ops
  velin notify test email.oncall --timeout 30s`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withWorkspace(g, func(ctx context.Context, ws *workspace.Workspace) error {
				return runNotifyTest(ctx, g, o, ws, args[0])
			})(cmd.Context())
		},
	}
	o.AddFlags(cmd)
	return cmd
}

func runNotifyTest(ctx context.Context, g *globalOptions, o *notifyTestOptions, ws *workspace.Workspace, name string) error {
	addr := name
	if !strings.HasPrefix(addr, "notify.") {
		addr = "notify." + addr
	}
	blk, ok := ws.Config.Notifies[addr]
	if !ok {
		return fmt.Errorf("notify test: there is no notify block %s; declared: %s", addr, declaredNotifies(ws))
	}
	n, err := notify.New(blk, notify.Env{})
	if err != nil {
		return fmt.Errorf("notify test: %w", err)
	}
	host, _ := os.Hostname()
	now := ws.Now()
	m := notify.Message{Schema: notify.Schema, Event: "test", Level: notify.LevelInfo, Plan: ws.Config.Dir, Host: host,
		Started: now, Finished: now, Summary: fmt.Sprintf("Test message from velin on %s: %s works.", host, addr)}
	p := notify.Policy{Attempts: 1, Timeout: o.Timeout}
	if err := notify.Deliver(ctx, n, m, p, nil); err != nil {
		return fmt.Errorf("notify test %s: %w", addr, err)
	}
	if g.JSON {
		return g.printJSON(map[string]string{"sent": addr})
	}
	g.out("Sent a test message through %s.\n", addr)
	return nil
}

func declaredNotifies(ws *workspace.Workspace) string {
	var names []string
	for a := range ws.Config.Notifies {
		names = append(names, a)
	}
	if len(names) == 0 {
		return "none"
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
