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
//     length 0 gives an empty reader. An offset past the end yields no data
//     (an error other than ErrNotFound, or an empty reader); a negative
//     offset is an error.
//   - Get, GetRange, Stat and Delete of a name that is only a prefix of
//     other names ("dir" when "dir/x" exists) is ErrNotFound.
//   - A canceled context makes every method fail with an error wrapping
//     context.Canceled, without effect; canceling during a Put stores nothing.
//   - Listings are consistent right after a write (the suite asserts exact
//     sets; a lagging store must be made consistent for its test run).
package storagetest
