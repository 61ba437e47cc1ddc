package s3

import (
	"fmt"
	"strings"

	"github.com/velinhq/velin/engine/storage"
)

// cleanPrefix normalises a key prefix: no leading or trailing "/", and a
// valid name when not empty. It returns "" or "PREFIX/".
func cleanPrefix(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	if err := storage.ValidateName(p); err != nil {
		return "", fmt.Errorf("prefix: %w", err)
	}
	return p + "/", nil
}

// CheckPrefix says whether p can be a key prefix: "" or slash-separated
// segments as in object names (leading and trailing slashes are dropped).
func CheckPrefix(p string) error {
	_, err := cleanPrefix(p)
	return err
}
