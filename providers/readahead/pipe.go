package readahead

import (
	"fmt"
	"os"
	"time"
)

// PipeSize is the kernel buffer Pipe asks for: 1 MiB, Linux's default
// limit for unprivileged processes (/proc/sys/fs/pipe-max-size). With
// 64 KiB a dump tool writing 4 KiB at a time wakes its reader for nearly
// every write; with 1 MiB the reader can take its writes in large reads
// (see Reader's gather) without ever stalling the writer.
const PipeSize = 1 << 20

// Pipe is os.Pipe with the kernel's buffer raised to PipeSize where the
// system allows it. It returns the buffer's size in bytes, 0 when it is
// the system's default (another OS, or a lower limit).
func Pipe() (r, w *os.File, size int, err error) {
	r, w, err = os.Pipe()
	if err != nil {
		return nil, nil, 0, fmt.Errorf("pipe: %w", err)
	}
	return r, w, growPipe(w, PipeSize), nil
}

// Paced writes to the write end of a pipe of size bytes (Pipe's) only
// once the pipe has room for the whole write, pausing meanwhile; a
// reader that takes little at a time (a client waiting on its server)
// then wakes the writer about once per pause rather than once per read.
// Once stop is closed (the reader is gone) it writes at once, and the
// write fails. Without a size (0) or where the pipe's fill cannot be read
// (outside Linux), it writes at once.
type Paced struct {
	w     *os.File
	size  int
	pause time.Duration
	stop  <-chan struct{}
	sleep func(time.Duration, <-chan struct{}) // sleepOrStop but in tests
}

// NewPaced returns a Paced writer to w.
func NewPaced(w *os.File, size int, pause time.Duration, stop <-chan struct{}) *Paced {
	return &Paced{w: w, size: size, pause: pause, stop: stop, sleep: sleepOrStop}
}

// Write implements io.Writer.
func (p *Paced) Write(b []byte) (int, error) {
	for p.size > 0 && len(b) <= p.size {
		n, ok := queued(p.w)
		if !ok || n+len(b) <= p.size {
			break
		}
		select {
		case <-p.stop:
			return p.w.Write(b)
		default:
		}
		p.sleep(p.pause, p.stop)
	}
	return p.w.Write(b)
}
