package repo

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/engine/storage"
)

// readPacks reads the chosen packs whole and checks each one (checkPack).
func (c *repoChecker) readPacks(ctx context.Context) error {
	ids := c.subset()
	sort.Slice(ids, func(i, j int) bool { return string(ids[i][:]) < string(ids[j][:]) })
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.NumCPU())
	for _, id := range ids {
		g.Go(func() error {
			data, err := getBytes(gctx, c.r.st, packName(id))
			if errors.Is(err, storage.ErrNotFound) {
				err = nil // deleted since the listing: reported by packFiles if indexed
			}
			if err != nil {
				return fmt.Errorf("read pack %s: %w", id, err)
			}
			var found []string
			if data != nil {
				found = c.r.checkPack(id, data, c.packs[id])
			}
			mu.Lock()
			defer mu.Unlock()
			for _, msg := range found {
				c.problem(Problem{Kind: "pack", Object: id.String(), Err: msg})
			}
			c.report.PacksRead++
			c.report.BytesRead += int64(len(data))
			c.o.Progress(int64(len(data)))
			return nil
		})
	}
	return g.Wait()
}

// checkPack checks a whole pack: its name against its hash, its trailer
// and header, every blob the header lists (authenticated and matching its
// id), and the index entries of the pack against the header.
func (r *Repository) checkPack(id pack.ID, data []byte, indexed []pack.Blob) []string {
	var out []string
	if pack.HashID(data) != id {
		out = append(out, "content does not match its name (SHA-256)")
	}
	size := int64(len(data))
	if size < pack.TrailerLen {
		return append(out, fmt.Sprintf("only %d bytes", size))
	}
	off, n, err := pack.ReadTrailer(data[size-pack.TrailerLen:], size)
	if err != nil {
		return append(out, err.Error())
	}
	blobs, err := pack.DecodeHeader(r.key, data[off:off+n], off)
	if err != nil {
		return append(out, err.Error())
	}
	inHeader := make(map[pack.ID]pack.Blob, len(blobs))
	for _, b := range blobs {
		inHeader[b.ID] = b
		stored := data[b.Offset : b.Offset+b.Length]
		if _, err := r.decodeBlob(stored, b.Kind, b.ID, b.Flags, b.RawLen); err != nil {
			out = append(out, err.Error())
		}
	}
	for _, b := range indexed {
		h, ok := inHeader[b.ID]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("an index lists blob %s, the pack's header does not", b.ID))
		case h != b:
			out = append(out, fmt.Sprintf("the index entry of blob %s differs from the pack's header", b.ID))
		}
	}
	return out
}
