package provider

import (
	"io/fs"
	"time"
)

// Kind is what an Entry is.
type Kind string

const (
	KindFile     Kind = "file"
	KindDir      Kind = "dir"
	KindSymlink  Kind = "symlink"
	KindHardlink Kind = "hardlink" // Target names an earlier KindFile entry of the same tree
)

// SizeUnknown is the Size a source gives Sink.Put for a file whose content
// it streams without knowing its length in advance (a database dump); the
// sink records the length it read, and trees yield that.
const SizeUnknown int64 = -1

// Entry is one item of a source's tree: a file of a file tree, or the single
// dump file of a database. Paths are slash-separated and relative to the
// source's root ("site/index.html"); the root itself is never an entry.
type Entry struct {
	Path    string
	Kind    Kind
	Mode    fs.FileMode // permission and special bits (Perm, setuid, setgid, sticky)
	ModTime time.Time
	Size    int64  // content length for files (SizeUnknown: streamed, the sink counts it); 0 otherwise
	Target  string // symlink target, or the Path of the file a hardlink shares content with
	UID     uint32
	GID     uint32

	// Change detection for incremental backups (zero when not a file tree).
	Inode      uint64
	Device     uint64
	ChangeTime time.Time

	// Sparse is true when the file has holes worth recreating on restore.
	Sparse bool

	// Meta is what a source wants to know again at restore about an entry
	// (a dump's database name, the dump tool's version), stored with it in
	// the snapshot. At most 16 keys and 1024 bytes in all; never a secret.
	Meta map[string]string

	// Handle is opaque: a Tree sets it on the entries it yields, and Tree.Open
	// uses it to find the content again. Sources leave it nil.
	Handle any
}
