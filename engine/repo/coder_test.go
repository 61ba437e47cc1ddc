package repo

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os/exec"
	"testing"

	"github.com/klauspost/compress/huff0"
	"github.com/klauspost/compress/zstd"
)

// hexRows is text like a pgbench dump with random filler: rows of a
// counter and 84 random hex digits, which zstd's matches barely shrink
// more than Huffman coding alone.
func hexRows(seed uint64, n int) []byte {
	rng := newRng(seed)
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "%d\t8\t0\t%s\n", 700000+i, hex.EncodeToString(randBytes(rng, 42)))
	}
	return b.Bytes()[:n]
}

// TestLiteralsFrame: literal-only frames of every shape decode, with the
// repository's decoder and with the zstd tool when installed, to what
// was encoded, and hex text is Huffman coded (about 2:1).
func TestLiteralsFrame(t *testing.T) {
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	cases := map[string][]byte{
		"empty": {}, "one byte": {'x'}, "short": []byte("COPY public.t (a, b) FROM stdin;\n"),
		"hex 64 KiB": hexRows(1, 64<<10), "hex 128 KiB": hexRows(2, zstdBlockMax),
		"hex 128 KiB + 1": hexRows(3, zstdBlockMax+1), "hex 256 KiB": hexRows(4, chunkMax),
		"zeros": make([]byte, 200<<10), "random": randBytes(newRng(5), 100<<10),
		"zeros then random": append(make([]byte, zstdBlockMax), randBytes(newRng(6), 50<<10)...),
	}
	var s huff0.Scratch
	for name, plain := range cases {
		frame := appendLiteralsFrame([]byte("prefix"), plain, &s)[len("prefix"):]
		got, err := dec.DecodeAll(frame, nil)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("%s: decoded %d bytes (want %d), err %v", name, len(got), len(plain), err)
		}
		if zstdTool, err := exec.LookPath("zstd"); err == nil {
			cmd := exec.Command(zstdTool, "-d", "-q", "-c")
			cmd.Stdin = bytes.NewReader(frame)
			if out, err := cmd.Output(); err != nil || !bytes.Equal(out, plain) {
				t.Errorf("%s: zstd -d: %d bytes (want %d), err %v", name, len(out), len(plain), err)
			}
		}
		if bytes.HasPrefix([]byte(name), []byte("hex")) && len(frame)*100 > len(plain)*55 {
			t.Errorf("%s: %d bytes in %d: not Huffman coded", name, len(frame), len(plain))
		}
	}
}

// TestBlobCoder: a stream of hex text settles on literal-only frames
// after its first chunk; repetitive text and random bytes keep zstd; a
// chunk of zeros met in literal mode goes to zstd at once; a stream's first
// chunk, chunks without a stream and levels above 1 always use zstd.
func TestBlobCoder(t *testing.T) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(false))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	c := newBlobCoder(enc, 1)
	h := new(streamHint)
	hexChunk := hexRows(7, 64<<10)
	if c.compress(nil, hexChunk, h); h.lits.Load() {
		t.Fatal("hex text: first chunk probed")
	}
	if c.compress(nil, hexRows(8, 64<<10), h); !h.lits.Load() {
		t.Fatal("hex text: the probe chose zstd")
	}
	out, _ := c.compress(nil, hexRows(9, 64<<10), h)
	// Not probed: the literal form, a few per cent larger than zstd's.
	if z := enc.EncodeAll(hexRows(9, 64<<10), nil); len(out)*10 > len(z)*11 || bytes.Equal(out, z) {
		t.Errorf("hex text in literal mode: %d bytes, zstd %d", len(out), len(z))
	}
	if out, _ := c.compress(nil, make([]byte, 64<<10), h); len(out) > 1<<10 {
		t.Errorf("zeros in literal mode: %d bytes", len(out))
	}
	if h.lits.Load() {
		t.Error("zeros: still in literal mode")
	}
	sql := bytes.Repeat([]byte("INSERT INTO t VALUES (1, 'the same row again and again');\n"), 2000)
	random := randBytes(newRng(9), 64<<10)
	for name, chunk := range map[string][]byte{"repetitive text": sql, "random bytes": random} {
		h := new(streamHint)
		for range probeEvery + 2 {
			c.compress(nil, chunk, h)
		}
		if h.lits.Load() {
			t.Errorf("%s: literal mode", name)
		}
	}
	if out, _ := c.compress(nil, hexChunk, nil); !bytes.Equal(out, enc.EncodeAll(hexChunk, nil)) {
		t.Error("no stream: not zstd")
	}
	c, h = newBlobCoder(enc, 3), new(streamHint)
	for range 3 {
		c.compress(nil, hexChunk, h)
	}
	if h.lits.Load() {
		t.Error("level 3: literal mode")
	}
}
