package repo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// The conditional-write probe's answer is remembered in the local cache
// (docs/design.md, "Snapshot ids and manifests"), so that a backup does not
// send the probe's four requests every run. The entry names the storage's
// location (bucket, prefix and endpoint): the same repository reached
// through another endpoint, or copied to another store, is probed again.

// condMemoFile is the entry's file in the repository's cache directory.
const condMemoFile = "conditional.json"

// condMemoAge is how long a remembered answer is used: a server may be
// replaced or reconfigured under the same endpoint.
const condMemoAge = 7 * 24 * time.Hour

// condMemo is the remembered answer.
type condMemo struct {
	Location string    `json:"location"`
	OK       bool      `json:"ok"`
	Probed   time.Time `json:"probed"`
}

// rememberedConditional returns the remembered answer for this
// repository's storage, if there is a recent one.
func (r *Repository) rememberedConditional() (ok, known bool) {
	if r.cache == nil {
		return false, false
	}
	data, err := os.ReadFile(filepath.Join(r.cache.Dir(), condMemoFile))
	if err != nil {
		return false, false
	}
	var m condMemo
	if json.Unmarshal(data, &m) != nil || m.Location != r.st.Location() {
		return false, false
	}
	age := r.opts.Clock().Sub(m.Probed)
	if age < 0 || age > condMemoAge {
		return false, false
	}
	return m.OK, true
}

// rememberConditional writes the probe's answer (temporary file, then
// rename). Failing to is harmless: the next run probes again.
func (r *Repository) rememberConditional(ok bool) {
	if r.cache == nil {
		return
	}
	data, err := json.Marshal(condMemo{Location: r.st.Location(), OK: ok, Probed: r.opts.Clock().UTC()})
	if err != nil {
		return
	}
	f, err := os.CreateTemp(r.cache.Dir(), ".tmp-conditional-*")
	if err != nil {
		return
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(r.cache.Dir(), condMemoFile))
	}
	if err != nil {
		os.Remove(f.Name())
	}
}
