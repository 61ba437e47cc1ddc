package deploy

import (
	"context"
	"fmt"
)

// Stop runs the stop command (none: nothing to do). Stop commands must be
// idempotent, as systemctl's are: stopping a stopped service succeeds.
func (d *Deployer) Stop(ctx context.Context) error {
	if len(d.cfg.Stop) == 0 {
		return nil
	}
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	d.logf("stopping the service")
	return d.run(ctx, "stop", d.cfg.Stop, nil)
}

// Restart stops and starts the release now current and waits for its
// health check: a rollback that restored config or data but kept the
// release. It never switches current; a failure is returned as it is
// (the service's state is whatever the failing command left).
func (d *Deployer) Restart(ctx context.Context) error {
	unlock, err := d.lock()
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := d.Current(ctx)
	if err != nil {
		return err
	}
	if len(d.cfg.Stop) > 0 && cur.Version != "" {
		d.logf("stopping %s", cur.Version)
		if err := d.run(ctx, "stop", d.cfg.Stop, nil); err != nil {
			return fmt.Errorf("restart %s: %w", cur.Version, err)
		}
	}
	if err := d.start(ctx, cur.Version); err != nil {
		return fmt.Errorf("restart %s: %w", cur.Version, err)
	}
	d.logf("waiting for %s to be healthy", cur.Version)
	if err := d.Health(ctx); err != nil {
		return fmt.Errorf("restart %s: %w", cur.Version, err)
	}
	return nil
}
