package repo

import "fmt"

// limits is the one set of size limits that the writer obeys and the
// reader enforces, so that whatever the writer may write, the reader can
// read (TestLimitsWriterWithinReader pins it). Tests shrink them to reach
// several levels of indirection with little data.
type limits struct {
	blobRaw       int // plaintext bytes of any blob; also the zstd decoder's memory bound
	treePart      int // encoded bytes of one tree blob before its nodes are split into parts
	inlineContent int // chunk ids a file node holds inline before they move to a content list
	listIDs       int // ids in one content-list blob
	parts         int // parts of one tree
	listDepth     int // levels of content lists above the data chunks
	treeDepth     int // names in an entry's path: directory levels of a tree
	legacyEntries int // entries a walk allows a manifest without Entries, plus 4 per file
}

// defaultLimits are those of real repositories (docs/design.md, "Tree
// format"). A 1,000,000-entry directory is ~40 parts of 4 MiB; a stream of
// 65,536³ chunks fits in three list levels. A path of 2,048 names is at
// least 4,095 bytes, the most a path can have on Linux (PATH_MAX).
func defaultLimits() limits {
	return limits{
		blobRaw:       16 << 20,
		treePart:      4 << 20,
		inlineContent: 2048,
		listIDs:       65536,
		parts:         65536,
		listDepth:     6,
		treeDepth:     2048,
		legacyEntries: 1 << 20,
	}
}

// check says whether the limits are consistent: every object the writer
// makes under them is readable under them.
func (l limits) check() error {
	switch {
	case l.blobRaw < chunkMax:
		return fmt.Errorf("limits: a blob must hold a whole chunk (%d < %d)", l.blobRaw, chunkMax)
	case l.treePart+maxNodeJSON > l.blobRaw:
		return fmt.Errorf("limits: a tree part may reach %d bytes, over the blob limit %d", l.treePart+maxNodeJSON, l.blobRaw)
	case listHeader+l.listIDs*32 > l.blobRaw:
		return fmt.Errorf("limits: a content list may reach %d bytes, over the blob limit %d", listHeader+l.listIDs*32, l.blobRaw)
	case partsHeader+l.parts*partIDJSON > l.blobRaw:
		return fmt.Errorf("limits: a parts list may reach %d bytes, over the blob limit %d", partsHeader+l.parts*partIDJSON, l.blobRaw)
	case l.inlineContent*partIDJSON+maxNodeFixed > maxNodeJSON:
		return fmt.Errorf("limits: %d inline chunk ids make a node longer than %d bytes", l.inlineContent, maxNodeJSON)
	case l.listIDs < 2 || l.listDepth < 1 || l.parts < 2 || l.inlineContent < 1 || l.treeDepth < 1:
		return fmt.Errorf("limits: lists, parts and depth must allow indirection")
	}
	return nil
}

// An entry's Meta is bounded so that a node stays bounded: at most
// metaKeys keys and metaBytes bytes of keys and values (provider.Entry).
const (
	metaKeys  = 16
	metaBytes = 1024
)

// checkMeta refuses Meta over the bounds (the writer's side of the limit).
func checkMeta(m map[string]string) error {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	if len(m) > metaKeys || n > metaBytes {
		return fmt.Errorf("meta of %d keys and %d bytes is over the limit of %d keys and %d bytes", len(m), n, metaKeys, metaBytes)
	}
	return nil
}

// Sizes used by check. A node's JSON is bounded: a name and a symlink
// target are at most 4096 bytes each (PATH_MAX), twice that as JSON
// escapes or base64, plus fixed fields and its inline content ids.
const (
	partIDJSON   = 67                                       // `"<64 hex>",`
	partsHeader  = 16                                       // `{"parts":[` … `]}`
	maxNodeFixed = 4*4096 + 6*metaBytes + 4*metaKeys + 1024 // name, target, meta (escaped) and the other fields
	maxNodeJSON  = maxNodeFixed + 2048*67 + 1               // with the default inline content
)
