package postgres

import "io"

// inTransaction writes BEGIN to psql's input, then what feed writes, then
// COMMIT when feed succeeded. The transaction is velin's, not psql's:
// psql --single-transaction commits at the end of its input, and a velin
// killed -9 closes that input (its pipe) before the parent-death signal
// may reach psql, which then committed half a dump. Without COMMIT, psql
// ends at the end of its input and the server rolls back.
func inTransaction(in io.Writer, feed func() error) error {
	if _, err := io.WriteString(pipeWriter{in}, "BEGIN;\n"); err != nil {
		return err
	}
	if err := feed(); err != nil {
		return err
	}
	_, err := io.WriteString(pipeWriter{in}, "COMMIT;\n")
	return err
}
