package workspace

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/velinhq/velin/engine/storage"
	"github.com/velinhq/velin/engine/storage/counting"
	"github.com/velinhq/velin/engine/storage/local"
)

// count wraps st to count its requests under key. The caller holds w.mu.
func (w *Workspace) count(key string, st storage.Storage) storage.Storage {
	if w.counters == nil {
		w.counters = map[string]*counting.Storage{}
	}
	c := counting.New(st)
	if old, ok := w.counters[key]; ok { // reopened: keep counting on
		c = old
	}
	w.counters[key] = c
	return c
}

// cacheDir is the local cache's directory for a repository on st: none
// for a local directory, where reading the repository costs what reading
// a cache would (docs/design.md, "Local cache").
func (w *Workspace) cacheDir(st storage.Storage) string {
	if c, ok := st.(*counting.Storage); ok {
		st = c.Inner()
	}
	if _, ok := st.(*local.Storage); ok {
		return ""
	}
	return w.opts.CacheDir
}

// Requests returns the storage requests made so far, by target address
// ("dir:"+path for a directory given with --destination or -r).
func (w *Workspace) Requests() map[string]counting.Counts {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.requestsLocked()
}

func (w *Workspace) requestsLocked() map[string]counting.Counts {
	out := make(map[string]counting.Counts, len(w.counters))
	for k, c := range w.counters {
		out[k] = c.Counts()
	}
	return out
}

// Stats is what Options.StatsFile receives.
type Stats struct {
	// Requests are each target's storage requests, by target address.
	Requests map[string]counting.Counts `json:"requests"`
	// Total adds them up.
	Total counting.Counts `json:"total"`
}

// writeStats writes the requests to Options.StatsFile, if set (temp file,
// fsync, rename). The caller holds w.mu.
func (w *Workspace) writeStats() error {
	if w.opts.StatsFile == "" {
		return nil
	}
	st := Stats{Requests: w.requestsLocked()}
	for _, c := range st.Requests {
		st.Total = st.Total.Add(c)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("write stats: %w", err)
	}
	if err := writeFileAtomic(w.opts.StatsFile, append(data, '\n')); err != nil {
		return fmt.Errorf("write stats: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory, fsynced, renamed over it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".velin-stats-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
