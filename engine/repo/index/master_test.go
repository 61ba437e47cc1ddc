package index

import (
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/velinhq/velin/engine/repo/pack"
)

// testPacks makes packs of blobs with random ids; every fifth blob
// repeats an earlier id (at another location), as a blob stored twice.
func testPacks(seed uint64, packs, perPack int) []Pack {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []Pack
	var ids []pack.ID
	for p := range packs {
		pk := Pack{ID: pack.ID{byte(p), byte(p >> 8), byte(p >> 16), 0xEE}}
		for b := range perPack {
			var id pack.ID
			if len(ids) > 0 && rng.IntN(5) == 0 {
				id = ids[rng.IntN(len(ids))]
			} else {
				for i := 0; i < len(id); i += 8 {
					binary.LittleEndian.PutUint64(id[i:], rng.Uint64())
				}
				ids = append(ids, id)
			}
			pk.Blobs = append(pk.Blobs, pack.Blob{Kind: pack.Kind(b % 2), Flags: uint8(b % 3), ID: id,
				Offset: uint32(b * 100), Length: uint32(b + 1), RawLen: uint32(b + 2)})
		}
		out = append(out, pk)
	}
	return out
}

// TestMasterMatchesMap: after packs are added one at a time, every blob
// is found where it was first added, a blob never added is not, and the
// counts are right, at sizes that merge shards many times.
func TestMasterMatchesMap(t *testing.T) {
	for _, size := range []struct{ packs, per int }{{1, 3}, {40, 50}, {400, 500}} {
		m := NewMaster()
		want := map[pack.ID]Location{}
		for _, p := range testPacks(uint64(size.packs), size.packs, size.per) {
			m.Add(p)
			for _, b := range p.Blobs {
				if _, ok := want[b.ID]; !ok {
					want[b.ID] = Location{Pack: p.ID, Kind: b.Kind, Flags: b.Flags, Offset: b.Offset, Length: b.Length, RawLen: b.RawLen}
				}
			}
		}
		for id, w := range want {
			if got, ok := m.Lookup(id); !ok || got != w || !m.Has(id) {
				t.Fatalf("%d blobs: lookup %x: %+v %v, want %+v", len(want), id[:4], got, ok, w)
			}
		}
		if _, ok := m.Lookup(pack.ID{1, 2, 3}); ok || m.Has(pack.ID{1, 2, 3}) {
			t.Fatal("a blob never added was found")
		}
		if packs, blobs := m.Counts(); packs != size.packs || blobs != len(want) {
			t.Fatalf("counts %d packs, %d blobs; want %d, %d", packs, blobs, size.packs, len(want))
		}
	}
}

// TestMasterSize: the index holds a blob in at most 66 bytes (a Go map of
// the same entries took 92 here).
func TestMasterSize(t *testing.T) {
	packs := testPacks(7, 1000, 200)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := NewMaster()
	for _, p := range packs {
		m.Add(p)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	_, blobs := m.Counts()
	perBlob := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / int64(blobs)
	runtime.KeepAlive(m)
	runtime.KeepAlive(packs)
	t.Logf("index: %d bytes per blob (%d blobs)", perBlob, blobs)
	if perBlob > 66 {
		t.Fatalf("index: %d bytes per blob, want at most 66", perBlob)
	}
}
