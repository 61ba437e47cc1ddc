package directio

import (
	"bytes"
	"errors"
	"syscall"
	"testing"
)

// fakeFile refuses whole-block writes with err (nothing written) while
// direct is on, and records what it accepts.
type fakeFile struct {
	direct bool
	err    error
	stops  int
	got    bytes.Buffer
}

func (f *fakeFile) Write(p []byte) (int, error) {
	if f.direct && f.err != nil {
		return 0, f.err
	}
	return f.got.Write(p)
}

func (f *fakeFile) stop() error {
	f.stops++
	f.direct = false
	return nil
}

// TestWriteRefused: a direct write the filesystem refuses (EINVAL,
// nothing written) falls back to the page cache and turns direct I/O off;
// any other error is returned.
func TestWriteRefused(t *testing.T) {
	p := bytes.Repeat([]byte("v"), 2*Block+5)
	for _, c := range []struct {
		name      string
		err       error
		size      int
		wantOn    bool
		wantErr   bool
		wantStops int
	}{
		{"accepted whole blocks", nil, 2 * Block, true, false, 0},
		{"accepted, partial last block", nil, 2*Block + 5, false, false, 1},
		{"refused", syscall.EINVAL, 2*Block + 5, false, false, 1},
		{"refused whole blocks", syscall.EINVAL, 2 * Block, false, false, 1},
		{"failed", syscall.EIO, 2 * Block, true, true, 0},
	} {
		f := &fakeFile{direct: true, err: c.err}
		on, err := write(f, f.stop, p[:c.size], true)
		if on != c.wantOn || (err != nil) != c.wantErr || f.stops != c.wantStops {
			t.Errorf("%s: direct %v, err %v, stops %d; want direct %v, an error %v, stops %d",
				c.name, on, err, f.stops, c.wantOn, c.wantErr, c.wantStops)
		}
		if err != nil && !errors.Is(err, c.err) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.err)
		}
		if !c.wantErr && !bytes.Equal(f.got.Bytes(), p[:c.size]) {
			t.Errorf("%s: wrote %d bytes, want %d", c.name, f.got.Len(), c.size)
		}
	}
}
