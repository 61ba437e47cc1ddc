package repo

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/velinhq/velin/providers/provider"
)

// ContentKey identifies the content of a file entry yielded by a Tree of
// this package: two entries of one repository with the same key hold the
// same bytes. ok is false for other entries.
func ContentKey(e provider.Entry) (key string, ok bool) {
	h, ok := e.Handle.(*handle)
	if !ok {
		return "", false
	}
	sum := sha256.New()
	for _, id := range h.content {
		sum.Write(id[:])
	}
	return hex.EncodeToString(sum.Sum(nil)), true
}
