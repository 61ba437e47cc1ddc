package export

import (
	"time"
)

// FormatVersion is the layout this velin writes; Open refuses a newer one.
const FormatVersion = 1

// Layouts of a source in the ZIP.
const (
	LayoutFiles = "files" // one ZIP entry per top-level file
	LayoutTar   = "tar"   // one uncompressed tree.tar
)

// Names inside the ZIP.
const (
	manifestName = "manifest.toml"
	snapshotName = "snapshot.json"
	tarName      = "tree.tar"
)

// Manifest is manifest.toml.
type Manifest struct {
	Format       int       `toml:"format"`
	Snapshot     string    `toml:"snapshot"`
	Time         time.Time `toml:"time"`
	VelinVersion string    `toml:"velin_version"` // the velin that made the snapshot
	ExportedBy   string    `toml:"exported_by"`   // the velin that wrote this file
	ExportedAt   time.Time `toml:"exported_at"`   // when
	Sources      []Source  `toml:"source"`
}

// Source is one source of the snapshot in the ZIP.
type Source struct {
	Key           string `toml:"key"` // "type.name", also its folder in the ZIP
	Type          string `toml:"type"`
	Identity      string `toml:"identity"`
	ServerVersion string `toml:"server_version,omitempty"`
	Layout        string `toml:"layout"` // LayoutFiles or LayoutTar
	Files         int64  `toml:"files"`
	Bytes         int64  `toml:"bytes"`
	Entries       []File `toml:"entry"`
}

// File is one ZIP entry of a source: a file (LayoutFiles) or tree.tar.
type File struct {
	Name      string            `toml:"name"`                 // path in the ZIP
	Path      string            `toml:"path,omitempty"`       // the snapshot entry's path (LayoutFiles)
	Size      int64             `toml:"size"`                 // bytes of the ZIP entry, uncompressed
	SHA256    string            `toml:"sha256"`               // hex of the ZIP entry's content
	Mode      uint32            `toml:"mode,omitempty"`       // LayoutFiles: permission bits
	Mtime     time.Time         `toml:"mtime,omitempty"`      // LayoutFiles
	Format    string            `toml:"format,omitempty"`     // "resp": converted from velin's Redis records
	EntrySize int64             `toml:"entry_size,omitempty"` // the snapshot entry's size when Format converts it
	Meta      map[string]string `toml:"meta,omitempty"`
}
