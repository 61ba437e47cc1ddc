package all

import (
	"slices"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := Registry()
	for kind, want := range map[string][]string{
		"source": {"files", "mysql", "postgres", "redis", "sqlite"},
		"target": {"local"},
		"step":   {"exec", "http"},
	} {
		if got := r.Names(kind); !slices.Equal(got, want) {
			t.Errorf("%s types %v, want %v", kind, got, want)
		}
	}
	for _, name := range []string{"files", "mysql", "postgres", "redis", "sqlite"} {
		if st, ok := r.Source(name); !ok || st.Decode == nil {
			t.Errorf("source %s not registered with a decoder", name)
		}
	}
	if tt, ok := r.Target("local"); !ok || tt.Decode == nil {
		t.Error("target local not registered with a decoder")
	}
	for _, name := range []string{"exec", "http"} {
		if st, ok := r.Step(name); !ok || st.Decode == nil {
			t.Errorf("step %s not registered with a decoder", name)
		}
	}
}
