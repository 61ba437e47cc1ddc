//go:build linux

package files

import (
	"syscall"
	"time"
)

// changeTime is the inode change time (ctime) of st.
func changeTime(st *syscall.Stat_t) time.Time {
	return time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
}
