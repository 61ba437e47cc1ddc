package all

import (
	"slices"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := Registry()
	for kind, want := range map[string][]string{
		"source": {"files", "mysql", "postgres", "redis", "s3", "sqlite"},
		"target": {"local", "s3"},
		"step":   {"exec", "http"},
	} {
		if got := r.Names(kind); !slices.Equal(got, want) {
			t.Errorf("%s types %v, want %v", kind, got, want)
		}
	}
	for _, name := range []string{"files", "mysql", "postgres", "redis", "s3", "sqlite"} {
		if st, ok := r.Source(name); !ok || st.Decode == nil {
			t.Errorf("source %s not registered with a decoder", name)
		}
	}
	for _, name := range []string{"local", "s3"} {
		if tt, ok := r.Target(name); !ok || tt.Decode == nil {
			t.Errorf("target %s not registered with a decoder", name)
		}
	}
	for _, name := range []string{"exec", "http"} {
		if st, ok := r.Step(name); !ok || st.Decode == nil {
			t.Errorf("step %s not registered with a decoder", name)
		}
	}
}
