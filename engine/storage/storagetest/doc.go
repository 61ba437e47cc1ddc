// Package storagetest holds the one test suite that every storage.Storage
// implementation runs (local, S3, the faulty wrapper...):
//
//	func TestSuite(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Storage { return newEmptyStore(t) })
//	}
//
// newStorage must return an empty storage for each call; the suite calls it
// once per subtest. Besides the interface contract the suite pins down what
// the contract leaves open, so all implementations agree:
//
//   - Names are validated: "", a leading "/", an empty, "." or ".." segment,
//     a backslash or a non-printable byte make every method fail.
//   - Put fails, storing nothing, when the reader yields a different number
//     of bytes than the announced size, and when the reader fails; the
//     reader's error is wrapped (errors.Is works).
//   - GetRange cuts a range that runs past the end at the end (as S3 does);
//     length 0 and an offset equal to the size give an empty reader; an
//     offset past the end or a negative one is ErrInvalidRange.
//   - Delete of a missing object succeeds.
//   - Stat and List give ModTime (within minutes of the test's clock) and
//     agree on it and on the ETag.
//   - Get, GetRange and Stat of a name that is only a prefix of other names
//     ("dir" when "dir/x" exists) is ErrNotFound; Delete of it succeeds and
//     changes nothing.
//   - A context canceled before the call makes every method fail with an
//     error wrapping context.Canceled, without effect. A Put canceled while
//     it reads fails with context.Canceled or succeeds; the object is then
//     absent or whole, never a part.
//   - Listings are consistent right after a write (the suite asserts exact
//     sets; a lagging store must be made consistent for its test run).
package storagetest
