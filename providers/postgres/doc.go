// Package postgres is the `source "postgres"` provider: it backs up one or
// more databases of a PostgreSQL server as plain SQL dumps made by
// pg_dump (one entry "<db>.sql" per database, streamed, never a temporary
// file), optionally with the server's roles and tablespaces (pg_dumpall
// --globals-only, the entry "globals.sql"), and restores them with psql in
// one transaction so that a failed restore leaves a database as it was.
//
// The password of the DSN reaches pg_dump and psql through the PGPASSWORD
// environment variable, never their arguments; it is registered as a
// secret so the engine masks it everywhere. TLS is set in the DSN
// (sslmode, sslrootcert, sslcert, sslkey, sslsni), or else in velin's
// PGSSL* environment; pgx and the tools get the same settings (the tools
// as PGSSL* variables, file paths only). sslpassword is refused: libpq
// takes it only in a connection string, that is on the command line.
package postgres
