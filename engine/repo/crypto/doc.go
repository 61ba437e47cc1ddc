// Package crypto holds a repository's keys: the master key (encryption,
// chunk-id and chunker keys), the passphrase-protected key files that store
// it, and the seal/open primitives every encrypted object uses.
//
// Sealed form is nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16), with the
// caller's additional data binding the object to its name or id. A Key made
// with None does not encrypt: Seal appends a SHA-256 of aad‖plaintext so
// corruption is still detected.
package crypto
