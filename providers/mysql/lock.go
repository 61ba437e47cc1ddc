package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// A scratch schema (velin_verify_*, velin_restore_*) is owned by the
// session that holds the server's user lock of the same name (GET_LOCK).
// The server releases it when that session ends, also when velin is
// killed, so CleanLeftovers drops exactly the scratch schemas whose owner
// is gone, never one another run is still loading.

// own takes the lock named after a scratch schema on a connection of its
// own, and returns a function that releases it.
func own(ctx context.Context, h *sql.DB, schema string) (func(), error) {
	cn, err := h.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var got sql.NullInt64
	if err := cn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", schema).Scan(&got); err != nil {
		cn.Close()
		return nil, fmt.Errorf("lock %s: %w", schema, err)
	}
	if got.Int64 != 1 {
		cn.Close()
		return nil, fmt.Errorf("lock %s: another velin holds it", schema)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = cn.ExecContext(ctx, "DO RELEASE_LOCK(?)", schema)
		cn.Close()
	}, nil
}

// orphaned says whether nobody owns the scratch schema.
func orphaned(ctx context.Context, h *sql.DB, schema string) (bool, error) {
	var free sql.NullInt64
	if err := h.QueryRowContext(ctx, "SELECT IS_FREE_LOCK(?)", schema).Scan(&free); err != nil {
		return false, err
	}
	return free.Int64 == 1, nil
}
