package childproc

import "syscall"

// attr: own process group; SIGKILL when the parent (velin) dies.
func attr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
