package apply

import (
	"time"
)

// watchProgress emits a progress event every 200 ms with the bytes read so
// far by all snapshots in progress, and the planned total when known. The
// returned function stops it.
func (r *runner) watchProgress() func() {
	if r.opts.Events == nil {
		return func() {}
	}
	total := int64(0)
	if r.opts.Plan != nil {
		total = r.opts.Plan.Summary.Bytes
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.emit(Event{Type: "progress", Bytes: r.bytesRead(), Total: total})
			}
		}
	}()
	return func() { close(done); <-stopped }
}

func (r *runner) bytesRead() int64 {
	r.mu.Lock()
	runs := make([]*backupRun, 0, len(r.backups))
	for _, b := range r.backups {
		runs = append(runs, b)
	}
	r.mu.Unlock()
	var n int64
	for _, b := range runs {
		if w := b.writer(); w != nil {
			n += w.Progress().BytesRead
		}
	}
	return n
}
