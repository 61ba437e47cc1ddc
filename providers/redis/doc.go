// Package redis is the `source "redis"` provider: the databases of one
// Redis server, copied key by key over the native protocol (go-redis), so
// that nothing needs to run on the Redis host.
//
// # TLS
//
// tls = true (or a rediss:// addr, or any tls_* argument) connects over
// TLS 1.2+; tls_ca_file, tls_cert_file/tls_key_file and tls_server_name
// fill the tls.Config go-redis takes (tls.go). The files are read while
// decoding, so a bad one is a diagnostic on its argument; a connection
// that fails for a TLS reason is explained (explainTLS).
//
// # Backup
//
// Each database (db = N, or every database holding keys: db = "all", the
// default) is read with SCAN (1000 keys a call); the keys of each reply
// are sorted and their DUMP and PTTL read in one pipeline. The records
// stream through an io.Pipe into one entry "db<N>.rdbdump", so memory
// stays bounded by one batch whatever the number of keys. After the last
// database, "info.json" records the format, the server version, the time
// the backup ended and the number of records of each database.
//
// An entry "db<N>.rdbdump" is the header "VELIN-REDIS-DUMP 1\n", then one
// record per key: the byte 'K', uvarint key length, key, varint expiry
// (unix milliseconds, 0 for none; the client's clock before the batch
// was read plus PTTL, so never later than the real expiry), uvarint
// payload length, the DUMP payload; then the byte 'E' and the uvarint
// number of records. A reader refuses anything else (ErrFormat).
//
// Consistency: a key-by-key copy is not a point-in-time image. Each key
// is copied atomically, but keys changed during the scan may be seen
// before or after the change, a key deleted meanwhile is left out, a key
// created meanwhile may be missing, and a key SCAN returns twice (the
// table rehashed) is stored twice (restore keeps the later copy). Stop
// the writers (a "before" step) when keys must agree with each other.
//
// SCAN's order follows the server's hash table, so snapshots of an
// unchanged server deduplicate well, but a restart (new hash seed) or a
// resized table reorders the stream: then only values larger than a
// chunk deduplicate.
//
// # Restore
//
// A key whose TTL had run out when the backup ended is skipped; the others
// get the TTL they had left then. Each database is restored with RESTORE …
// REPLACE into a scratch database: scratch_db, or else the highest
// numbered empty database, claimed by the marker key "velin:restore".
// With flush = false (the default) the destination's keys that the
// snapshot lacks are then copied into the scratch database (COPY without
// REPLACE, Redis 6.2+), so that they survive; with flush = true they are
// not. Only then is the scratch database swapped in (SWAPDB, atomic for
// clients) and the scratch number, now holding the old data, emptied. A
// restore that fails or is killed before the swap leaves the destination
// exactly as it was; writes to the destination between the copy and the
// swap are lost. Several databases are restored one after the other
// through the same scratch database (a failure leaves the ones before
// restored, which the error names). Databases the snapshot lacks are never
// touched.
//
// # Test restore
//
// Each database is restored in turn into one empty database of
// test_restore_addr (or of the source's server), marked "velin:verify",
// its keys counted, the asserts' patterns matched (SCAN MATCH), and then
// emptied. A marker whose heartbeat (refreshed every batch) is older than
// five minutes is a killed run's leftover: CleanLeftovers empties it.
package redis
