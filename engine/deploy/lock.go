package deploy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lock takes the deployment's exclusive lock (a flock on state/lock),
// waiting for another velin process that holds it. The kernel releases it
// when the process dies, so a crash never leaves it held.
func (d *Deployer) lock() (func(), error) {
	return d.flock(syscall.LOCK_EX)
}

// tryLock is lock without waiting: ok is false when another process holds
// the lock.
func (d *Deployer) tryLock() (unlock func(), ok bool, err error) {
	unlock, err = d.flock(syscall.LOCK_EX | syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil, false, nil
	}
	return unlock, err == nil, err
}

func (d *Deployer) flock(how int) (func(), error) {
	if err := os.MkdirAll(d.stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("lock deployment %s: %w", d.cfg.Name, err)
	}
	f, err := os.OpenFile(filepath.Join(d.stateDir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock deployment %s: %w", d.cfg.Name, err)
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock deployment %s: %w", d.cfg.Name, err)
	}
	return func() { f.Close() }, nil
}
