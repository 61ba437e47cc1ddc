// Package pack defines blob ids and kinds and the pack file format: blobs
// appended one after another, then a sealed header listing them, then the
// header length and a magic.
//
//	blob_0 ‖ … ‖ blob_n-1 ‖ sealed header ‖ uint32 LE header length ‖ "VLP" ‖ 0x01
//
// The header record of each blob (kind, flags, id, offset, length, raw
// length) is the same record index files use (see EncodeRecords).
package pack
