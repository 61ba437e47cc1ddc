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
package dbtest
