package deploy

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// prune applies keep to the releases on disk: the newest ones (by the
// time their directory was made) are kept, and the current, the previous
// and the pinned releases are never deleted. Versions stay in the
// repository.
func (d *Deployer) prune(s State, current string) error {
	entries, err := os.ReadDir(d.releasesDir())
	if err != nil {
		return fmt.Errorf("keep: %w", err)
	}
	type rel struct {
		name string
		mod  int64
	}
	var rels []rel
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		rels = append(rels, rel{e.Name(), info.ModTime().UnixNano()})
	}
	sort.Slice(rels, func(i, j int) bool { return rels[i].mod > rels[j].mod })
	protected := map[string]bool{current: true, s.Previous: true}
	for _, p := range s.Pinned {
		protected[p] = true
	}
	room := d.cfg.Keep
	for _, r := range rels {
		if protected[r.name] {
			room--
		}
	}
	for _, r := range rels {
		if protected[r.name] {
			continue
		}
		if room > 0 {
			room--
			continue
		}
		d.logf("removing release %s (keep = %d)", r.name, d.cfg.Keep)
		if err := os.RemoveAll(d.releasePath(r.name)); err != nil {
			return fmt.Errorf("keep: %w", err)
		}
	}
	return nil
}
