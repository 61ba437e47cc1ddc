//go:build !race

package repo

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/velinhq/velin/internal/peakrss"
)

// heapSampler writes a heap profile each time the peak RSS has grown by
// 5 MB since the last one, when VELIN_BENCH_HEAPDIR names a directory:
// the last profile shows what was live at the collection just before the
// peak (a heap profile is in-use as of the last GC). It logs the heap goal
// and live heap at each profile too.
type heapSampler struct {
	stop, done chan struct{}
}

func startHeapSampler(b *testing.B, phase string) *heapSampler {
	dir := os.Getenv("VELIN_BENCH_HEAPDIR")
	if dir == "" {
		return nil
	}
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		last := 0.0
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
			if mb := peakrss.MB(); mb > last+5 {
				last = mb
				writeHeapProfile(b, filepath.Join(dir, phase+".heap"), mb)
			}
		}
	}()
	return h
}

func (h *heapSampler) end() {
	if h != nil {
		close(h.stop)
		<-h.done
	}
}

func writeHeapProfile(b *testing.B, path string, mb float64) {
	f, err := os.Create(path)
	if err != nil {
		b.Error(err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Error(err)
	}
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	fmt.Fprintf(os.Stderr, "heap sample: peak RSS %.0f MB, goal %d MB, live %d MB, objects %d MB, runtime total %d MB\n",
		mb, s[0].Value.Uint64()>>20, s[1].Value.Uint64()>>20, s[2].Value.Uint64()>>20, s[3].Value.Uint64()>>20)
}
