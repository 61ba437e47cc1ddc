package directio

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestAlignedBuf(t *testing.T) {
	for _, n := range []int{1, Block - 1, Block, 1 << 20} {
		b := AlignedBuf(n)
		if len(b) != n || cap(b) != n || !Aligned(b) {
			t.Errorf("AlignedBuf(%d): len %d cap %d aligned %v", n, len(b), cap(b), Aligned(b))
		}
		if Aligned(AlignedBuf(n + 1)[1:]) {
			t.Errorf("AlignedBuf(%d)[1:] reported aligned", n+1)
		}
	}
	if Aligned(nil) {
		t.Error("an empty buffer reported aligned")
	}
}

// TestStartMisaligned: a buffer that is not aligned never starts direct
// I/O, whatever the filesystem.
func TestStartMisaligned(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if Start(f, AlignedBuf(2 * Block)[1:]) {
		t.Error("Start accepted a misaligned buffer")
	}
}

// TestWriteFiles writes contents of sizes around Block through Start and
// Write, in chunks as a copy loop does, into the test's temporary
// directory and (on Linux) /dev/shm, and reads them back.
func TestWriteFiles(t *testing.T) {
	dirs := []string{t.TempDir()}
	if runtime.GOOS == "linux" {
		shm, err := os.MkdirTemp("/dev/shm", "velin-test-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(shm) })
		dirs = append(dirs, shm)
	}
	buf := AlignedBuf(4 * Block)
	for _, dir := range dirs {
		for _, size := range []int{1, Block - 1, Block, Block + 1, 4 * Block, 9*Block + 7} {
			want := bytes.Repeat([]byte{byte(size)}, size)
			p := filepath.Join(dir, "f")
			if err := writeFile(p, want, buf); err != nil {
				t.Fatalf("%s size %d: %v", dir, size, err)
			}
			if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s size %d: read back %d bytes, %v", dir, size, len(got), err)
			}
		}
	}
}

// writeFile writes data to a new file p through buf, directly where it can.
func writeFile(p string, data, buf []byte) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	defer f.Close()
	direct := Start(f, buf)
	for len(data) > 0 {
		n := copy(buf, data)
		data = data[n:]
		if direct, err = Write(f, buf[:n], direct); err != nil {
			return err
		}
	}
	return f.Close()
}
