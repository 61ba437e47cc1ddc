// Package index encodes index files (which blobs each pack holds) and keeps
// the in-memory map from blob id to location that a repository consults.
//
// File format (sealed by the caller with aad "velin index"):
//
//	"VLI1" ‖ uvarint packs ‖ per pack: pack id (32) ‖ uvarint blobs ‖ records
//
// where records are pack.AppendRecords records.
package index
