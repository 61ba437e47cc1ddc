package export

import (
	"io"

	"github.com/klauspost/compress/zstd"
)

// Suffixes of SQL dumps and of their zstd form.
const (
	sqlSuffix  = ".sql"
	zstdSuffix = ".zst"
)

// toZstd compresses src into dst as one zstd frame (what `zstd -d`
// reads), on one goroutine at the fastest level so that memory stays
// bounded (docs/performance.md: smaller than deflate and faster, for SQL).
func toZstd(dst io.Writer, src io.Reader) error {
	zw, err := zstd.NewWriter(dst, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		return err
	}
	if _, err := io.Copy(zw, src); err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}

// zstdReader decompresses rc; closing it closes rc.
type zstdReader struct {
	*zstd.Decoder
	rc io.ReadCloser
}

func newZstdReader(rc io.ReadCloser) (io.ReadCloser, error) {
	d, err := zstd.NewReader(rc, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		rc.Close()
		return nil, err
	}
	return &zstdReader{Decoder: d, rc: rc}, nil
}

func (z *zstdReader) Close() error {
	z.Decoder.Close()
	return z.rc.Close()
}
