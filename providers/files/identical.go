package files

import (
	"context"
	"io/fs"
	"os"

	"github.com/velinhq/velin/providers/provider"
)

// identical says whether what is at e.Path (fi, from Lstat through root)
// already is what restoring e would write, so a restore can leave it alone:
//   - a symlink with the same target;
//   - a hard link already sharing its target's inode;
//   - a regular file with the same size, mtime and permissions (and owner,
//     as root) that either is the very file backed up (same device, inode
//     and ctime) or has the same content as the snapshot (a file an
//     earlier, interrupted restore already wrote).
//
// Any doubt (an unreadable file, damaged snapshot data) says no.
func (sel *selection) identical(ctx context.Context, root *os.Root, e provider.Entry, fi fs.FileInfo) bool {
	switch e.Kind {
	case provider.KindSymlink:
		if fi.Mode()&fs.ModeSymlink == 0 {
			return false
		}
		t, err := root.Readlink(e.Path)
		return err == nil && t == e.Target
	case provider.KindHardlink:
		if sel.chosen(e) {
			return same(root, e.Path, e.Target)
		}
		e = sel.targets[e.Target]
	}
	if !fi.Mode().IsRegular() || fi.Size() != e.Size || !fi.ModTime().Equal(e.ModTime) ||
		fi.Mode().Perm() != e.Mode.Perm() || !sameOwner(e, fi) {
		return false
	}
	if !changedSince(e, fi) {
		return true
	}
	return sameContent(ctx, root, sel.tree, e)
}

// sameOwner compares owners only when a restore would set them (as root).
func sameOwner(e provider.Entry, fi fs.FileInfo) bool {
	if os.Geteuid() != 0 {
		return true
	}
	st := statOf(fi)
	return st.Uid == e.UID && st.Gid == e.GID
}

// sameContent compares the file at e.Path with e's content in the
// snapshot, byte for byte.
func sameContent(ctx context.Context, root *os.Root, tree provider.Tree, e provider.Entry) bool {
	f, err := root.Open(e.Path)
	if err != nil {
		return false
	}
	defer f.Close()
	return provider.SameContent(ctx, tree, e, f)
}

// changedSince says whether a file with the entry's size and mtime is not
// the very file that was backed up: on the same device, its inode or ctime
// differ.
func changedSince(e provider.Entry, fi fs.FileInfo) bool {
	st := statOf(fi)
	if uint64(st.Dev) != e.Device {
		return true
	}
	return st.Ino != e.Inode || !changeTime(st).Equal(e.ChangeTime)
}
