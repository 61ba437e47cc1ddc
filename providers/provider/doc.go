// Package provider defines what velin's sources, targets and steps are to the
// engine, and the registry that names them.
//
// Data crosses this boundary as streams of Entries: a source hands each entry
// (a file, a directory, a database dump) to a Sink while it reads, and reads
// them back from a Tree when it restores. Providers never import the
// repository; the engine adapts the repository to Sink and Tree.
//
// Each provider decodes its own block body (the engine has already taken its
// own arguments out of it) into its own struct with gohcl, so a mistake in a
// provider argument is an hcl.Diagnostic with a source range like any other.
package provider
