package repo

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stale says why a lock is stale, or "" when it is live. A lock taken in
// this process space is stale when its process is gone; any other when it
// was not refreshed for its own lease, by the storage's clock (written is
// the lock object's modification time, now the storage's present) or,
// where the storage gives no times, by comparing its refresh time with ours.
func (r *Repository) stale(info lockInfo, written, now time.Time) string {
	if r.sameProcessSpace(info) {
		if !processAlive(info.PID) {
			return "process is gone"
		}
		if info.Start != "" && processStart(info.PID) != info.Start {
			return "process id reused by another process"
		}
		return ""
	}
	if age, lease := r.lockAge(info, written, now), info.lease(); age > lease {
		return fmt.Sprintf("not refreshed for %s (its lease is %s)", age.Round(time.Second), lease)
	}
	return ""
}

// lockAge is how long ago a lock was last written: by the storage's clock
// when it gives times, else by the lock's own refresh time against ours.
func (r *Repository) lockAge(info lockInfo, written, now time.Time) time.Duration {
	if !written.IsZero() && !now.IsZero() {
		return now.Sub(written)
	}
	return r.opts.Clock().Sub(info.Refreshed)
}

// lease is how long the lock stays live without a refresh: what it
// records, else lockStale (locks of velin before leases).
func (i lockInfo) lease() time.Duration {
	d, err := time.ParseDuration(i.Lease)
	if err != nil || d <= 0 {
		return lockStale
	}
	return d
}

// sameProcessSpace reports whether a lock's pid can be checked here: the
// same host identity and, when both record one, the same pid space (boot
// id and pid namespace), because host names and machine ids repeat across
// containers and cloned machines.
func (r *Repository) sameProcessSpace(info lockInfo) bool {
	if !r.sameMachine(info) {
		return false
	}
	return info.PIDSpace == "" || r.pidSpace == "" || info.PIDSpace == r.pidSpace
}

// sameMachine reports whether a lock was taken by this host identity: by
// machine id when both have one, else by host name.
func (r *Repository) sameMachine(info lockInfo) bool {
	if info.MachineID != "" && r.opts.MachineID != "" {
		return info.MachineID == r.opts.MachineID
	}
	return info.Host == r.opts.Host
}

// pidSpace names the space this process's pid lives in: the kernel's boot
// id and the pid namespace; "" where either is unknown (off Linux).
func pidSpace() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(boot)) + "/" + ns
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// processStart returns field 22 of /proc/<pid>/stat (start time in clock
// ticks since boot), or "" when unavailable.
func processStart(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')') // the command name may contain spaces
	if i < 0 {
		return ""
	}
	fields := strings.Fields(s[i+1:])
	// fields[0] is field 3 (state), so field 22 is fields[19].
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}
