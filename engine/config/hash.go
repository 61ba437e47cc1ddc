package config

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"path/filepath"
	"sort"

	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/velinhq/velin/engine/redact"
)

// configHash digests the files (by base name, sorted) and the final
// variable values. A sensitive value enters only as its own SHA-256, so the
// digest never carries it in clear. Every field is length-prefixed, so no
// two different inputs produce the same byte stream.
func configHash(sources map[string][]byte, vars map[string]*Variable) (string, error) {
	h := sha256.New()
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return filepath.Base(names[i]) < filepath.Base(names[j]) })
	writeField(h, []byte("files"))
	for _, n := range names {
		writeField(h, []byte(filepath.Base(n)))
		writeField(h, sources[n])
	}
	writeField(h, []byte("variables"))
	varNames := make([]string, 0, len(vars))
	for n := range vars {
		varNames = append(varNames, n)
	}
	sort.Strings(varNames)
	for _, n := range varNames {
		b, err := valueBytes(vars[n])
		if err != nil {
			return "", fmt.Errorf("hash variable %s: %w", n, err)
		}
		writeField(h, []byte(n))
		writeField(h, b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// valueBytes is a variable's value as JSON (type included), or the
// SHA-256 of that for a sensitive variable.
func valueBytes(v *Variable) ([]byte, error) {
	val, _ := v.Value.UnmarkDeep()
	if !val.IsWhollyKnown() {
		return []byte("unknown"), nil
	}
	b, err := ctyjson.Marshal(val, val.Type())
	if err != nil {
		return nil, err
	}
	ty, err := ctyjson.MarshalType(val.Type())
	if err != nil {
		return nil, err
	}
	b = append(append(ty, 0), b...)
	if v.Sensitive {
		sum := sha256.Sum256(b)
		return append([]byte("sensitive:"), sum[:]...), nil
	}
	return b, nil
}

func writeField(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// Redact returns s with every secret of the configuration of at least
// redact.MinSearchLen characters replaced by "(sensitive)", longest first.
// Shorter secrets are not searched for (Config.Advice warns about them).
func (c *Config) Redact(s string) string {
	if c == nil {
		return s
	}
	return redact.New(c.Secrets...).String(s)
}
