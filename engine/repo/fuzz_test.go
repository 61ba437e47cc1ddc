package repo

import (
	"testing"

	"github.com/velinhq/velin/engine/repo/index"
	"github.com/velinhq/velin/engine/repo/pack"
	"github.com/velinhq/velin/providers/provider"
)

func FuzzPackHeader(f *testing.F) {
	b := pack.NewBuilder(0)
	b.Add(pack.KindData, pack.FlagCompressed, pack.ID{1}, []byte("blob"), 10)
	data, _, _ := b.Finish(noneSealer{})
	f.Add(data)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < pack.TrailerLen {
			return
		}
		off, n, err := pack.ReadTrailer(data[len(data)-pack.TrailerLen:], int64(len(data)))
		if err != nil {
			return
		}
		blobs, err := pack.DecodeHeader(noneSealer{}, data[off:off+n], off)
		if err != nil {
			return
		}
		for _, bl := range blobs {
			if int64(bl.Offset)+int64(bl.Length) > off {
				t.Fatalf("blob outside pack accepted: %+v", bl)
			}
		}
	})
}

func FuzzIndex(f *testing.F) {
	f.Add(index.Encode([]index.Pack{{ID: pack.ID{2}, Blobs: []pack.Blob{{Kind: pack.KindTree, ID: pack.ID{3}, Offset: 5, Length: 7, RawLen: 9}}}}))
	f.Add([]byte("VLI1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		packs, err := index.Decode(data)
		if err != nil {
			return
		}
		again, err := index.Decode(index.Encode(packs))
		if err != nil || len(again) != len(packs) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

func FuzzTree(f *testing.F) {
	id := pack.ID{4}
	good, _ := encodeTree([]node{{Name: "a", Kind: provider.KindFile, Content: []pack.ID{id}}, {Name: "d", Kind: provider.KindDir, Subtree: &id}}, defaultLimits())
	f.Add(good[0])
	f.Add([]byte(`{"parts":["` + id.String() + `","` + id.String() + `"]}`))
	f.Add([]byte(`{"nodes":[{"name":"..","kind":"dir"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		nodes, _, err := decodeTree(data, defaultLimits())
		if err != nil {
			return
		}
		for _, n := range nodes {
			if !validName(n.Name) || (n.Kind == provider.KindDir && n.Subtree == nil) {
				t.Fatalf("invalid node accepted: %+v", n)
			}
		}
	})
}

// noneSealer is the identity "sealer" for fuzzing the header decoder.
type noneSealer struct{}

func (noneSealer) Seal(dst, p, _ []byte) []byte          { return append(dst, p...) }
func (noneSealer) Open(dst, s, _ []byte) ([]byte, error) { return append(dst, s...), nil }
