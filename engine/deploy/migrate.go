package deploy

import (
	"context"
	"errors"
	"fmt"
)

// SchemaVersion runs migrate.current in root and returns its trimmed
// output; "" without a migrate block.
func (d *Deployer) SchemaVersion(ctx context.Context) (string, error) {
	if d.cfg.Migrate == nil {
		return "", nil
	}
	return d.output(ctx, "schema version", d.cfg.Migrate.Current)
}

// MigrateDown runs migrate.down_to with "{version}" replaced by to, in
// root: ./current is still the newer release, whose migration files know
// how to go down. A no-op without a migrate block or when to is "".
func (d *Deployer) MigrateDown(ctx context.Context, to string) error {
	if d.cfg.Migrate == nil || to == "" {
		return nil
	}
	if len(d.cfg.Migrate.DownTo) == 0 {
		return fmt.Errorf("migrate down to %s: the migrate block has no down_to", to)
	}
	d.logf("migrating the schema down to %s", to)
	return d.run(ctx, "migrate down", expand(d.cfg.Migrate.DownTo, to), nil)
}

// schemaFor is the schema version recorded with version: the one measured
// after it last ran healthy here, else the one when it was stored.
func (d *Deployer) schemaFor(ctx context.Context, version string) (string, error) {
	s, err := d.loadState()
	if err != nil {
		return "", err
	}
	if sv, ok := s.Schemas[version]; ok {
		return sv, nil
	}
	v, err := d.Find(ctx, version)
	if errors.Is(err, ErrUnknownVersion) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("schema of %s: %w", version, err)
	}
	return v.SchemaVersion, nil
}
