// Package local is the `target "local"` provider: a repository in a
// directory on a local or mounted disk.
//
// The passphrase comes from `passphrase` (usually env("VELIN_PASSPHRASE"))
// or from `key_file`, read when the target is opened. A target without
// either must say encryption = "none" explicitly; an empty passphrase (an
// unset environment variable) counts as none. compression is a zstd level
// 1..22 or "none"; unset means the repository's default.
package local
