// Package dbtest gives tests a database of their own on the servers of the
// development machine (PostgreSQL, MariaDB/MySQL, Redis on 127.0.0.1), and
// removes it when the test ends.
//
// The servers are found through environment variables with loopback
// defaults:
//
//	VELIN_TEST_PG     postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//	VELIN_TEST_MYSQL  mysql://root@127.0.0.1:3306/
//	VELIN_TEST_REDIS  redis://127.0.0.1:6379
//
// Each names an administrative connection that may create and drop
// databases. When a server cannot be reached the test is skipped with a
// message saying how to start it, except with CI=true, where a missing
// server is a failure (CI never skips silently; .ci/run starts them).
//
// Some cases need a server configured in a way the shared one is not:
// PostgresPassword (a cluster that asks for a password), and for TLS,
// NewCerts (a throwaway CA and a server certificate for 127.0.0.1 and
// localhost, made with crypto/x509) with PostgresTLS (ssl = on, hostssl
// only), RedisTLS (--port 0, TLS port only) and MariaDBTLS
// (require_secure_transport = ON). Each starts a throwaway server of its
// own on a free port of 127.0.0.1 in a temporary directory, removed when
// the test ends; a missing server binary skips the test, or fails it
// under CI=true, like a missing server. The binaries are found through
// VELIN_TEST_PGBIN (default /usr/lib/postgresql/15/bin),
// VELIN_TEST_REDIS_SERVER (redis-server) and VELIN_TEST_MARIADBD
// (mariadbd, with mariadb-install-db next to it or on PATH), by default
// on PATH or in /usr/sbin.
package dbtest
