package apply

import (
	"time"

	"github.com/velinhq/velin/engine/repo"
)

// watchProgress emits a progress event every 200 ms, when the counters
// moved (and once at the end), with the bytes (read, or reused from the
// parent) and files done so far by all snapshots in progress
// and the planned totals when known. The returned function stops it.
func (r *runner) watchProgress() func() {
	if r.opts.Events == nil {
		return func() {}
	}
	var total, files int64
	if r.opts.Plan != nil {
		total, files = r.opts.Plan.Summary.Bytes, r.opts.Plan.Summary.Files
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		var last repo.WriteProgress
		report := func() {
			if p := r.progress(); p != last {
				last = p
				r.emit(Event{Type: "progress", Bytes: p.BytesRead + p.BytesReused, Total: total, Files: p.Files, FilesTotal: files})
			}
		}
		for {
			select {
			case <-done:
				report() // the final counters, when they moved since the last tick
				return
			case <-t.C:
				report()
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// progress sums the counters of every snapshot in progress.
func (r *runner) progress() repo.WriteProgress {
	r.mu.Lock()
	runs := make([]*backupRun, 0, len(r.backups))
	for _, b := range r.backups {
		runs = append(runs, b)
	}
	r.mu.Unlock()
	var sum repo.WriteProgress
	for _, b := range runs {
		if w := b.writer(); w != nil {
			p := w.Progress()
			sum.Files += p.Files
			sum.BytesRead += p.BytesRead
			sum.BytesReused += p.BytesReused
			sum.BytesNew += p.BytesNew
			sum.BytesStored += p.BytesStored
		}
	}
	return sum
}
