// Package reposettings decodes the repository settings that every target
// type shares (passphrase, key_file, encryption, compression) and holds
// them for the target: one decoder and one key-file rule for `target
// "local"`, `target "s3"` and any later type. A target decodes its own
// arguments with a `hcl:",remain"` field and hands the rest to Decode.
package reposettings
