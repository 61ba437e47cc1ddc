// Package childproc starts the dump and restore tools database sources run
// (pg_dump, psql, mariadb-dump, mariadb) so that none outlives velin: each
// runs in its own process group, killed as a group when the context ends,
// and on Linux the kernel kills it when velin dies, even by kill -9
// (PR_SET_PDEATHSIG).
package childproc
