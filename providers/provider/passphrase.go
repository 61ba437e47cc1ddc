package provider

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrEmptyKeyFile means a key file holds no passphrase.
var ErrEmptyKeyFile = errors.New("key file holds no passphrase")

// ReadPassphraseFile reads a passphrase from a file: its content without
// the trailing line break(s). Every target type and the CLI's
// --passphrase-file read passphrase files with this one rule, so a
// repository opens with the same passphrase whichever path read it.
func ReadPassphraseFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read key file %s: %w", path, err)
	}
	pass := strings.TrimRight(string(b), "\r\n")
	if pass == "" {
		return "", fmt.Errorf("read key file %s: %w", path, ErrEmptyKeyFile)
	}
	return pass, nil
}

// Secret returns the passphrase: Passphrase, or the content of KeyFile.
func (o RepoOptions) Secret() (string, error) {
	if o.Passphrase != "" || o.KeyFile == "" {
		return o.Passphrase, nil
	}
	return ReadPassphraseFile(o.KeyFile)
}
