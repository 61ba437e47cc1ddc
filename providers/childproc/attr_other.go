//go:build !linux

package childproc

import "syscall"

// attr: own process group (no parent-death signal outside Linux: a child
// of a velin killed by -9 there is left to the process supervisor).
func attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
