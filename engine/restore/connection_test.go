package restore

import "testing"

func TestConnectionTo(t *testing.T) {
	for to, want := range map[string]string{
		"mysql://app:s3cret@db:3306/shop":  "s3cret",
		"redis://:pw@127.0.0.1:6379/2":     "pw",
		"app:p@ss:w0rd@tcp(db:3306)/shop":  "p@ss:w0rd",
		"root@unix(/run/mysqld.sock)/shop": "",
		"postgres://u@h/db":                "",
		"host=db dbname=app password=pw-1": "pw-1",
		`dbname=app password='it\'s x'`:    "it's x",
		"host=/run/postgresql dbname=app":  "",
	} {
		if !IsConnection(to) {
			t.Errorf("%q is not taken for a connection", to)
		}
		if got := ConnectionPassword(to); got != want {
			t.Errorf("ConnectionPassword(%q) = %q, want %q", to, got, want)
		}
	}
	for _, dir := range []string{"/tmp/restored", "relative/dir", "user@host-dir", "a:b@c", "dir with host=x"} {
		if IsConnection(dir) || ConnectionPassword(dir) != "" {
			t.Errorf("directory %q taken for a connection", dir)
		}
	}
}
