package files

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/velinhq/velin/internal/directio"
)

// TestCopyContentModes writes contents of sizes around the block and
// buffer boundaries in every mode, into the test's temporary directory and
// (on Linux) into /dev/shm, where tmpfs before Linux 6.6 refuses direct
// I/O, and reads them back. The refusal itself is tested with a fake file
// in internal/directio.
func TestCopyContentModes(t *testing.T) {
	dirs := []string{t.TempDir()}
	if runtime.GOOS == "linux" {
		if shm, err := os.MkdirTemp("/dev/shm", "velin-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(shm) })
			dirs = append(dirs, shm)
		}
	}
	sizes := []int{1, block - 1, block, block + 1, copyBufSize - 1, copyBufSize,
		copyBufSize + 1, 3*copyBufSize - 5, 2*copyBufSize + block}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dir := range dirs {
		for _, mode := range []writeMode{writeBuffered, writeSparse, writeDirect} {
			for _, size := range sizes {
				want := make([]byte, size)
				for i := range want {
					if i/block%3 != 1 { // every third block zero, for the sparse mode
						want[i] = byte(rng.Uint32())
					}
				}
				p := filepath.Join(dir, "f")
				f, err := os.Create(p)
				if err != nil {
					t.Fatal(err)
				}
				n, err := copyContent(f, bytes.NewReader(want), mode, directio.AlignedBuf(copyBufSize))
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil || n != int64(size) {
					t.Fatalf("%s mode %d size %d: wrote %d, %v", dir, mode, size, n, err)
				}
				got, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s mode %d size %d: content differs (read %d bytes)", dir, mode, size, len(got))
				}
			}
		}
	}
}

// TestCopyContentMisalignedBuffer checks that a buffer direct I/O cannot
// use falls back to buffered writes instead of failing.
func TestCopyContentMisalignedBuffer(t *testing.T) {
	want := bytes.Repeat([]byte("velin"), 100_000)
	p := filepath.Join(t.TempDir(), "f")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := directio.AlignedBuf(copyBufSize + 1)[1:]
	if directio.Aligned(buf) {
		t.Fatal("test buffer is aligned")
	}
	if _, err := copyContent(f, bytes.NewReader(want), writeDirect, buf); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, want) {
		t.Fatal("content differs")
	}
}
