// Package sqlassert runs the SQL assertions of a test restore (a verify
// block's `assert "<name>" { sql = "…" }`) over any database/sql
// connection, so that every SQL source judges a result the same way: the
// query must return exactly one row of one column whose value is true (a
// boolean true, a non-zero number, or the text "t"/"true"/"1").
package sqlassert
