package index

import (
	"sync"

	"github.com/velinhq/velin/engine/repo/pack"
)

// Location is where a blob is stored.
type Location struct {
	Pack   pack.ID
	Kind   pack.Kind
	Flags  uint8
	Offset uint32
	Length uint32
	RawLen uint32
}

type entry struct {
	pack   uint32 // index into Master.packs
	kind   pack.Kind
	flags  uint8
	offset uint32
	length uint32
	rawLen uint32
}

// Master maps blob ids to locations for a whole repository. It is safe for
// concurrent use. Packs are stored once and referred to by number, and the
// blobs are kept in a sorted table (blobTable): about 60 bytes per blob.
type Master struct {
	mu     sync.RWMutex
	packs  []pack.ID
	packNo map[pack.ID]uint32
	blobs  *blobTable
}

// NewMaster returns an empty map.
func NewMaster() *Master {
	return &Master{packNo: map[pack.ID]uint32{}, blobs: newBlobTable()}
}

// Add records the blobs of p. A blob already known keeps its first location.
func (m *Master) Add(p Pack) {
	m.mu.Lock()
	defer m.mu.Unlock()
	no, ok := m.packNo[p.ID]
	if !ok {
		no = uint32(len(m.packs))
		m.packs = append(m.packs, p.ID)
		m.packNo[p.ID] = no
	}
	for _, b := range p.Blobs {
		m.blobs.add(b.ID, entry{pack: no, kind: b.Kind, flags: b.Flags, offset: b.Offset, length: b.Length, rawLen: b.RawLen})
	}
}

// Lookup returns the location of a blob.
func (m *Master) Lookup(id pack.ID) (Location, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.blobs.get(id)
	if !ok {
		return Location{}, false
	}
	return Location{Pack: m.packs[e.pack], Kind: e.kind, Flags: e.flags, Offset: e.offset, Length: e.length, RawLen: e.rawLen}, true
}

// Has reports whether a blob is known.
func (m *Master) Has(id pack.ID) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.blobs.get(id)
	return ok
}

// Counts returns the number of packs and blobs known.
func (m *Master) Counts() (packs, blobs int) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.packs), m.blobs.n
}

// HasPack reports whether some index lists the pack.
func (m *Master) HasPack(id pack.ID) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.packNo[id]
	return ok
}

// Reset forgets everything.
func (m *Master) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.packs, m.packNo, m.blobs = nil, map[pack.ID]uint32{}, newBlobTable()
}

// Replace makes m hold exactly what other holds (other must not be used
// afterwards). Readers see the old map or the new one, never a mix.
func (m *Master) Replace(other *Master) {
	other.mu.Lock()
	packs, packNo, blobs := other.packs, other.packNo, other.blobs
	other.mu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.packs, m.packNo, m.blobs = packs, packNo, blobs
}
