package workspace

import (
	"testing"

	"github.com/velinhq/velin/engine/storage/faulty"
	"github.com/velinhq/velin/engine/storage/local"
)

// TestCacheOnlyForRemote: a repository in a local directory gets no
// local cache, counted or not; any other storage gets the configured one.
func TestCacheOnlyForRemote(t *testing.T) {
	w := &Workspace{opts: Options{CacheDir: "/cache"}}
	loc, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := w.cacheDir(w.count("target.local.a", loc)); got != "" {
		t.Errorf("cache for a counted local storage = %q, want none", got)
	}
	if got := w.cacheDir(loc); got != "" {
		t.Errorf("cache for a local storage = %q, want none", got)
	}
	remote := faulty.New(loc) // stands for any other storage
	if got := w.cacheDir(w.count("target.s3.b", remote)); got != "/cache" {
		t.Errorf("cache for another storage = %q, want /cache", got)
	}
	if w.Requests()["target.s3.b"].Total() != 0 {
		t.Error("requests counted before any call")
	}
}
