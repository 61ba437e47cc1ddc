// Package mysql is the `source "mysql"` provider: databases of a MariaDB or
// MySQL server, dumped with the server's own dump tool.
//
// A backup connects with go-sql-driver/mysql, reads the server's flavour
// and version, and runs mariadb-dump (MariaDB) or mysqldump (MySQL) once
// per database with --single-transaction (a consistent snapshot of InnoDB
// tables; other engines are named in the facts as not consistent),
// streaming its output into the sink as the entry "<db>.sql". The password
// reaches the child through a defaults file that is a pipe (/dev/fd/3),
// never argv nor disk;
// the child runs in its own process group, killed as a whole when the
// context ends. TLS (the DSN's tls parameter and the tls_* files) is
// given to the driver as a tls.Config and to the tools as their --ssl
// options, so that both connect alike (tls.go). Rows are counted exactly
// from the dump's INSERT statements
// as it streams past (counter.go).
//
// A restore loads the dump into a scratch schema, checks it against the
// rows the dump holds, and swaps its tables into the live database with one
// RENAME TABLE (swap.go); a failure before the swap leaves the live
// database as it was. docs/providers.md describes the method.
package mysql
