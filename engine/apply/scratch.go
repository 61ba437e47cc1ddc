package apply

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// scratchPrefix names the engine's scratch directories for test restores:
// velin-test-restore-<pid>-<random>, in the system's temporary directory.
const scratchPrefix = "velin-test-restore-"

// LeftoverAge is how old the scratch directory of a test restore whose
// process is gone (killed, the machine rebooted) must be before a later
// test restore removes it. The age guards a directory of a process in
// another PID namespace that shares the temporary directory.
const LeftoverAge = time.Hour

// RemoveStaleScratch removes the scratch directories in root that
// interrupted test restores left behind: named with scratchPrefix, not
// of a live process, and not modified for LeftoverAge. It returns the
// names removed; what it cannot read or remove it leaves.
func RemoveStaleScratch(root string, now time.Time) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, scratchPrefix) || scratchAlive(name) {
			continue
		}
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < LeftoverAge {
			continue
		}
		if os.RemoveAll(filepath.Join(root, name)) == nil {
			removed = append(removed, name)
		}
	}
	return removed
}

// scratchAlive reports whether the process named in a scratch directory's
// name still runs. Names of velin before the pid was recorded
// (velin-test-restore-<random>) have none: they count as not alive.
func scratchAlive(name string) bool {
	pidText, _, ok := strings.Cut(strings.TrimPrefix(name, scratchPrefix), "-")
	if !ok {
		return false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
