// Package snaptest adapts a real repository (encrypted, on a local
// directory) to the providers' shared source suite, so that every source is
// tested against the same Sink and Tree the engine uses, not only against
// the suite's in-memory stand-in.
package snaptest
