//go:build darwin || freebsd || netbsd

package files

import (
	"syscall"
	"time"
)

// changeTime is the inode change time (ctime) of st.
func changeTime(st *syscall.Stat_t) time.Time {
	return time.Unix(int64(st.Ctimespec.Sec), int64(st.Ctimespec.Nsec))
}
