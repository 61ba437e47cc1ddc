package readahead

import (
	"fmt"
	"os"
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
