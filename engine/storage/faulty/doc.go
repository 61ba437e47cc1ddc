// Package faulty wraps a storage.Storage to inject faults in tests:
// failed Puts (the Nth, or by name prefix), Puts cut off after some bytes,
// failing Gets, Stats, Lists or Deletes by prefix, flipped bits on reads,
// and listings that lag behind recent writes as S3's may.
//
// Rules are set with methods and apply from then on; they are safe to set
// while other goroutines use the storage. Every injected failure wraps
// ErrInjected. With no rules the wrapper is transparent (it runs the
// storagetest suite).
package faulty
