package export

import (
	"time"
)

// FormatVersion is the newest layout this velin reads; Open refuses a
// newer one. An export is written as format 1 unless it holds zstd
// entries (formatZstd), so that a velin that reads only format 1 refuses
// those instead of restoring compressed bytes.
const FormatVersion = 2

// Formats written.
const (
	formatBase = 1
	formatZstd = 2
)

// File.Format values: how an entry's content was converted.
const (
	formatRESP      = "resp" // velin's Redis records as RESTORE commands
	formatZstdEntry = "zstd" // a SQL dump compressed with zstd
)

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
	Format    string            `toml:"format,omitempty"`     // formatRESP or formatZstdEntry: converted
	EntrySize int64             `toml:"entry_size,omitempty"` // the snapshot entry's size when Format converts it
	Meta      map[string]string `toml:"meta,omitempty"`
}

func (s *Source) usesZstd() bool {
	for _, f := range s.Entries {
		if f.Format == formatZstdEntry {
			return true
		}
	}
	return false
}
