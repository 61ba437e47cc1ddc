package mysql

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/velinhq/velin/providers/provider"
)

func TestParseDSN(t *testing.T) {
	for in, want := range map[string]conn{
		"mysql://app:s3cr%40t@db.example:3307/shop":        {User: "app", Password: "s3cr@t", Net: "tcp", Addr: "db.example:3307", DB: "shop"},
		"mysql://app:pw@db.example/shop":                   {User: "app", Password: "pw", Net: "tcp", Addr: "db.example:3306", DB: "shop"},
		"mariadb://root@[::1]:3306/":                       {User: "root", Net: "tcp", Addr: "[::1]:3306"},
		"mysql://root@localhost/x?socket=/run/mysqld.sock": {User: "root", Net: "unix", Addr: "/run/mysqld.sock", DB: "x"},
		"app:p@ss@tcp(10.0.0.5:3306)/shop":                 {User: "app", Password: "p@ss", Net: "tcp", Addr: "10.0.0.5:3306", DB: "shop"},
		"root@unix(/run/mysqld/mysqld.sock)/":              {User: "root", Net: "unix", Addr: "/run/mysqld/mysqld.sock"},
	} {
		got, err := parseDSN(in)
		if err != nil || got != want {
			t.Errorf("parseDSN(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "mysql://:hunter2@/db", "hunter2", "u:hunter2@tcp(h:1", "mysql://u:hunter2@h/a/b", "u:hunter2@udp(h:1)/d"} {
		_, err := parseDSN(bad)
		if err == nil {
			t.Errorf("parseDSN(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("parseDSN(%q) error quotes the password: %v", bad, err)
		}
	}
}

func TestIdentityHasNoPassword(t *testing.T) {
	s := newSource(t, Options{DSN: "mysql://app:hunter2@db:3306/shop", Databases: []string{"shop", "blog"}})
	id := s.identity()
	if strings.Contains(id, "hunter2") || id != "mysql://app@db:3306/shop,blog" {
		t.Fatalf("identity %q", id)
	}
	t.Setenv("MYSQL_PWD", "from-env")
	r, err := Recover(id)
	if err != nil || r.c.Password != "from-env" || strings.Join(r.dbs, " ") != "shop blog" || r.c.Addr != "db:3306" {
		t.Fatalf("Recover(%q) = %+v, %v", id, r, err)
	}
}

func decode(t *testing.T, src string) (provider.Source, hcl.Diagnostics, []string) {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCL([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var secrets []string
	s, diags := Decode(f.Body, provider.DecodeContext{Dir: "/plans", Secret: func(v string) { secrets = append(secrets, v) }})
	return s, diags, secrets
}

func TestDecode(t *testing.T) {
	s, diags, secrets := decode(t, `
dsn = "mysql://app:hunter2@db:3306/shop"
exclude_tables = ["shop.tmp"]
exclude_table_data = ["shop.sessions"]
timeout = "10m"`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	src := s.(*Source)
	if strings.Join(src.dbs, ",") != "shop" || !src.excl["shop.tmp"] || !src.exclData["shop.sessions"] || src.timeout.Minutes() != 10 {
		t.Errorf("decoded %+v", src)
	}
	if strings.Join(secrets, " ") != "mysql://app:hunter2@db:3306/shop hunter2" {
		t.Errorf("secrets registered: %q", secrets)
	}
	for bad, arg := range map[string]string{
		`dsn = "mysql://app:hunter2@db:3306/"`:                                "dsn",
		`dsn = "nonsense hunter2"`:                                            "dsn",
		"dsn = \"mysql://u:hunter2@h/a\"\ndatabases = [\"*\", \"b\"]":         "databases",
		"dsn = \"mysql://u:hunter2@h/a\"\nexclude_tables = [\"notable\"]":     "exclude_tables",
		"dsn = \"mysql://u:hunter2@h/a\"\nexclude_table_data = [\"other.t\"]": "exclude_table_data",
		"dsn = \"mysql://u:hunter2@h/a\"\ntimeout = \"soon\"":                 "timeout",
		"dsn = \"mysql://u:hunter2@h/a\"\ndump_path = \"mariadb-dump\"":       "dump_path",
		"dsn = \"mysql://u:hunter2@h/a\"\nunknown = 1":                        "unknown",
	} {
		_, diags, _ := decode(t, bad)
		if !diags.HasErrors() {
			t.Errorf("%q: no diagnostic", bad)
			continue
		}
		d := diags[0]
		if d.Subject == nil || d.Subject.Filename != "test.hcl" || d.Subject.Start.Line < 1 {
			t.Errorf("%q: diagnostic without a range: %v", bad, d)
		}
		if strings.Contains(d.Detail+d.Summary, "hunter2") {
			t.Errorf("%q: diagnostic quotes the password: %v", bad, d)
		}
		if arg != "dsn" && arg != "unknown" && d.Subject.Start.Line != strings.Count(bad[:strings.Index(bad, arg)], "\n")+1 {
			t.Errorf("%q: diagnostic on line %d, not on %s: %v", bad, d.Subject.Start.Line, arg, d)
		}
	}
}

func TestCounter(t *testing.T) {
	dump := "CREATE TABLE `a``b` (\n  x int\n);\n" +
		"INSERT INTO `a``b` VALUES (1);\n" + // outside a data section: not counted
		"LOCK TABLES `a``b` WRITE;\n" +
		"/*!40000 ALTER TABLE `a``b` DISABLE KEYS */;\n" +
		"INSERT INTO `a``b` VALUES\n(1,'it''s (x)',0x28),\n(2,'back\\\\slash\\' ( ;',NULL),(3,'\"(\"',\"'(\");\n" +
		"INSERT INTO `a``b` VALUES (4,'x\ny\n(5)'),(5,'\\'(\\\\','c(');\n" +
		"INSERT INTO `a``b` VALUES (6,'{\\\"k\\\": \\\"v(\\\\\\\"\\\\\\'\\\\\\\\'),(7,'\\\\\\\\\\\\');\n" +
		"/*!40000 ALTER TABLE `a``b` ENABLE KEYS */;\n" +
		"UNLOCK TABLES;\n" +
		"CREATE TABLE `empty` (x int);\nLOCK TABLES `empty` WRITE;\nUNLOCK TABLES;\n" +
		"-- Dump completed\n"
	for step := 1; step <= len(dump); step++ { // every cut between two writes
		c := newCounter()
		for i := 0; i < len(dump); i += step {
			c.Write([]byte(dump[i:min(i+step, len(dump))]))
		}
		if c.rows["a`b"] != 7 || c.total != 7 || c.tables != 2 || c.complete != 1 || len(c.rows) != 2 || c.bytes != int64(len(dump)) {
			t.Errorf("step %d: rows %v total %d tables %d complete %d", step, c.rows, c.total, c.tables, c.complete)
		}
	}
}

func TestShortVersion(t *testing.T) {
	for in, want := range map[string]string{
		"mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n": "10.11.19-MariaDB",
		"mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)":          "8.0.36",
		"something else": "something else",
	} {
		if got := shortVersion(in); got != want {
			t.Errorf("shortVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
