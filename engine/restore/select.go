package restore

import (
	"fmt"
	"slices"
	"strings"

	"github.com/velinhq/velin/engine/repo"
	"github.com/velinhq/velin/providers/provider"
)

// Source is one source of a snapshot to restore, with the provider that
// writes it back.
type Source struct {
	Key  string // "type.name", as in the manifest
	Impl provider.Source
}

// Select picks the sources of snapshot m to restore: exactly those named in
// keys ("type.name" or "source.type.name"; duplicates are allowed), or all
// of them when keys is empty, in the manifest's order. impl returns the
// provider for a key. A key the snapshot does not have is an error that
// lists the ones it has.
func Select(m *repo.Manifest, keys []string, impl func(key string) (provider.Source, error)) ([]Source, error) {
	want := map[string]bool{}
	for _, k := range keys {
		want[strings.TrimPrefix(k, "source.")] = true
	}
	var have []string
	for _, sm := range m.Sources {
		have = append(have, sm.Key)
	}
	var missing []string
	for k := range want {
		if !slices.Contains(have, k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("snapshot %s has no source %s; it has %s",
			m.ID, strings.Join(missing, ", "), strings.Join(have, ", "))
	}
	var out []Source
	for _, sm := range m.Sources {
		if len(want) > 0 && !want[sm.Key] {
			continue
		}
		src, err := impl(sm.Key)
		if err != nil {
			return nil, err
		}
		out = append(out, Source{Key: sm.Key, Impl: src})
	}
	return out, nil
}
