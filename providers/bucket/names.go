package bucket

import (
	"errors"
	"fmt"
	"strings"
)

// An object key becomes the entry path BUCKET/KEY, each "/"-separated part
// of the key one path element. Parts that cannot be path elements as they
// are, and the "%" that introduces an escape, are escaped; every other
// byte (spaces, unicode, "+") is kept as it is:
//
//	"%"             → "%25"
//	NUL             → "%00"
//	"." / ".."      → "%2E" / "%2E%2E" (as whole parts)
//	"" (from "//", a leading or a trailing "/") → "%-"
//
// An object whose key is also the prefix of other objects ("a/b" next to
// "a/b/c") cannot be both a file and a directory of the tree: its last
// element gets the suffix "%~" ("a/b%~"). Decoding reverses all of it, so
// a restore writes the original keys.
const (
	emptyPart  = "%-"
	prefixMark = "%~"
)

// errBadPath is a path no backup produced: it cannot be decoded to a key.
var errBadPath = errors.New("not an encoded object path")

// encodePart escapes one part of a key.
func encodePart(p string) string {
	switch p {
	case "":
		return emptyPart
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	if !strings.ContainsAny(p, "%\x00") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '%':
			b.WriteString("%25")
		case 0:
			b.WriteString("%00")
		default:
			b.WriteByte(p[i])
		}
	}
	return b.String()
}

// decodePart reverses encodePart.
func decodePart(e string) (string, error) {
	if e == emptyPart {
		return "", nil
	}
	if !strings.Contains(e, "%") {
		return e, nil
	}
	var b strings.Builder
	for i := 0; i < len(e); i++ {
		if e[i] != '%' {
			b.WriteByte(e[i])
			continue
		}
		if i+2 >= len(e) {
			return "", fmt.Errorf("%q: %w", e, errBadPath)
		}
		v, ok := unhex(e[i+1 : i+3])
		if !ok {
			return "", fmt.Errorf("%q: %w", e, errBadPath)
		}
		b.WriteByte(v)
		i += 2
	}
	return b.String(), nil
}

func unhex(s string) (byte, bool) {
	var v byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | (c - '0')
		case c >= 'A' && c <= 'F':
			v = v<<4 | (c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return v, true
}

// encodeKey returns the entry path of an object; isPrefix says that other
// objects' keys start with key+"/".
func encodeKey(bucket, key string, isPrefix bool) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = encodePart(p)
	}
	if isPrefix {
		parts[len(parts)-1] += prefixMark
	}
	return bucket + "/" + strings.Join(parts, "/")
}

// decodePath returns the bucket and key of an entry path.
func decodePath(p string) (bucket, key string, err error) {
	bucket, rest, ok := strings.Cut(p, "/")
	if !ok || bucket == "" || rest == "" {
		return "", "", fmt.Errorf("%q: %w", p, errBadPath)
	}
	parts := strings.Split(rest, "/")
	last := len(parts) - 1
	parts[last] = strings.TrimSuffix(parts[last], prefixMark)
	for i, e := range parts {
		if e == "" {
			return "", "", fmt.Errorf("%q: %w", p, errBadPath)
		}
		if parts[i], err = decodePart(e); err != nil {
			return "", "", fmt.Errorf("%q: %w", p, errBadPath)
		}
	}
	return bucket, strings.Join(parts, "/"), nil
}
