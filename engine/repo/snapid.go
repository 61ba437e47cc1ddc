package repo

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/velinhq/velin/engine/storage"
)

// probePrefix names the short-lived objects of the conditional-write
// probe: top-level, so a local storage keeps no empty directory.
const probePrefix = "probe-"

// conditional remembers whether the storage honours IfAbsent, once known.
type conditional struct {
	known, ok bool
}

// conditionalWrites reports whether the storage honours PutOptions.IfAbsent,
// probing it the first time it is asked (once per Repository; a failed
// probe is retried next time) unless the local cache remembers a recent
// answer (condmemo.go). Some S3-compatible stores ignore If-None-Match and
// replace the object.
func (r *Repository) conditionalWrites(ctx context.Context) (bool, error) {
	r.condMu.Lock()
	defer r.condMu.Unlock()
	if r.cond.known {
		return r.cond.ok, nil
	}
	if ok, known := r.rememberedConditional(); known {
		r.cond = conditional{known: true, ok: ok}
		return ok, nil
	}
	ok, err := probeIfAbsent(ctx, r.st)
	if err != nil {
		return false, err
	}
	r.cond = conditional{known: true, ok: ok}
	r.rememberConditional(ok)
	return ok, nil
}

// knownConditional reports whether the storage is known to honour
// IfAbsent (probed or remembered by this Repository).
func (r *Repository) knownConditional() bool {
	r.condMu.Lock()
	defer r.condMu.Unlock()
	return r.cond.known && r.cond.ok
}

// probeIfAbsent writes a probe object twice with IfAbsent: a storage that
// honours it refuses the second write with ErrExists. The probe is deleted
// (a crash may leave it behind: it is a few bytes, and nothing reads it).
func probeIfAbsent(ctx context.Context, st storage.Storage) (bool, error) {
	name := probePrefix + randomName()
	defer st.Delete(context.WithoutCancel(ctx), name)
	if err := putBytes(ctx, st, name, []byte("1"), true); err != nil {
		return false, fmt.Errorf("probe conditional writes: %w", err)
	}
	err := putBytes(ctx, st, name, []byte("2"), true)
	switch {
	case errors.Is(err, storage.ErrExists):
		return true, nil
	case err == nil:
		return false, nil
	}
	return false, fmt.Errorf("probe conditional writes: %w", err)
}

// probeWithConfig is the conditional-write probe of a repository just
// created, in one request instead of four: config, written with IfAbsent
// moments ago, is written again with IfAbsent and the same bytes. A
// storage that honours IfAbsent refuses it; one that does not replaces
// config with the bytes it already holds. An error leaves the answer
// unknown, and the first Flush probes as usual.
func probeWithConfig(ctx context.Context, st storage.Storage, data []byte) conditional {
	err := st.Put(ctx, "config", bytes.NewReader(data), int64(len(data)), storage.PutOptions{IfAbsent: true})
	switch {
	case errors.Is(err, storage.ErrExists):
		return conditional{known: true, ok: true}
	case err == nil:
		return conditional{known: true, ok: false}
	}
	return conditional{}
}

// idBase is the stem of a new snapshot's id: "YYYYMMDD-HHMM-<strategy>",
// and on a storage without conditional writes "-<tag>" after it, so that
// two hosts committing in the same minute never pick the same id (neither
// would notice the other's manifest being replaced).
func (r *Repository) idBase(ctx context.Context, t time.Time, strategy string) (string, error) {
	base := snapshotBase(t, strategy)
	ok, err := r.conditionalWrites(ctx)
	if err != nil || ok {
		return base, err
	}
	return base + "-" + idTag(r.opts.MachineID, r.opts.Host), nil
}

// idTag is 8 hex digits: 4 from the machine id (the host name where there
// is none), so hosts differ, and 4 random, so processes of one host differ.
func idTag(machineID, host string) string {
	origin := machineID
	if origin == "" {
		origin = host
	}
	sum := sha256.Sum256([]byte(origin))
	var b [4]byte
	copy(b[:2], sum[:2])
	_, _ = rand.Read(b[2:])
	return hex.EncodeToString(b[:])
}

// created notes that this Repository has just created its repository:
// the answer of the init's probe (remembered as a probe's is), and that
// snapshots/ and index/ were empty, so that the first lock need not list
// them (fresh, tryLock).
func (r *Repository) created(cond conditional) {
	if cond.known {
		r.condMu.Lock()
		r.cond = cond
		r.condMu.Unlock()
		r.rememberConditional(cond.ok)
	}
	r.mu.Lock()
	r.fresh = true
	r.snapRecent, r.snapRecentAt = []string{}, r.opts.Clock()
	r.mu.Unlock()
}

// takeFresh reports whether no lock was tried since this Repository
// created its repository, and notes that one is now.
func (r *Repository) takeFresh() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	fresh := r.fresh
	r.fresh = false
	return fresh
}
