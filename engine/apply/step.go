package apply

import (
	"context"
	"fmt"

	"github.com/velinhq/velin/engine/graph"
	"github.com/velinhq/velin/providers/provider"
)

func (r *runner) step(ctx context.Context, n *graph.Node) error {
	st := r.ws.Config.Steps[n.Addr]
	log := r.ws.Redactor.Writer(r.opts.Log)
	defer log.Flush()
	err := st.Impl.Run(ctx, provider.StepEnv{Dir: r.ws.Config.Dir, Log: log, Redact: r.ws.Redactor.String})
	if err != nil {
		return fmt.Errorf("step %s: %w", n.Addr, err)
	}
	return nil
}
