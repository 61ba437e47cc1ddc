package notify

import (
	"context"
	"fmt"
	"sync"

	"github.com/velinhq/velin/engine/config"
)

// Alert sends m to each notify block of cfg named in addrs, all at once,
// each through Deliver with p. Every failed attempt goes to warn (for the
// caller to redact and print); nothing is returned: an alert that cannot
// be sent never fails the run. It returns once every delivery ended,
// within p's bound.
func Alert(ctx context.Context, cfg *config.Config, addrs []string, m Message, p Policy, env Env, warn func(addr, msg string)) {
	var wg sync.WaitGroup
	for _, addr := range addrs {
		blk, ok := cfg.Notifies[addr]
		if !ok {
			warn(addr, "not sent: the notify block is not declared")
			continue
		}
		n, err := New(blk, env)
		if err != nil {
			warn(addr, "not sent: "+err.Error())
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = Deliver(ctx, n, m, p, func(attempt int, err error) {
				warn(addr, fmt.Sprintf("attempt %d of %d: %v", attempt, max(p.Attempts, 1), err))
			})
		}()
	}
	wg.Wait()
}
