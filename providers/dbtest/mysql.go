package dbtest

import (
	"database/sql"
	"net/url"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// MySQLAdmin is the administrative URL (VELIN_TEST_MYSQL),
// mysql://user[:password]@host:port/.
func MySQLAdmin() string { return env("VELIN_TEST_MYSQL", "mysql://root@127.0.0.1:3306/") }

// MySQL creates an empty database (schema) for t and returns its URL,
// mysql://user[:password]@host:port/<db>; it is dropped when t ends.
func MySQL(t testing.TB) string {
	t.Helper()
	db := openMySQL(t)
	defer db.Close()
	name := Name(t)
	c, cancel := ctx()
	defer cancel()
	if _, err := db.ExecContext(c, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("dbtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() { DropMySQL(t, name) })
	u, _ := url.Parse(MySQLAdmin())
	u.Path = "/" + name
	return u.String()
}

// DropMySQL drops a database if it exists.
func DropMySQL(t testing.TB, name string) {
	t.Helper()
	db := openMySQL(t)
	defer db.Close()
	c, cancel := ctx()
	defer cancel()
	if _, err := db.ExecContext(c, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
		t.Errorf("dbtest: drop database %s: %v", name, err)
	}
}

// OpenMySQL connects to database db ("" for none) with the admin account.
func OpenMySQL(t testing.TB, db string) *sql.DB {
	t.Helper()
	cfg := mysqlConfig(t)
	cfg.DBName = db
	conn, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return conn
}

func openMySQL(t testing.TB) *sql.DB {
	t.Helper()
	db := OpenMySQL(t, "")
	c, cancel := ctx()
	defer cancel()
	if err := db.PingContext(c); err != nil {
		db.Close()
		unavailable(t, "MariaDB/MySQL", "VELIN_TEST_MYSQL", "sudo service mariadb start", err)
	}
	return db
}

func mysqlConfig(t testing.TB) *mysql.Config {
	t.Helper()
	u, err := url.Parse(MySQLAdmin())
	if err != nil || u.Scheme != "mysql" {
		t.Fatalf("dbtest: VELIN_TEST_MYSQL must be mysql://user[:password]@host:port/ (%v)", err)
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net, cfg.Addr = "tcp", u.Host
	cfg.MultiStatements = true
	cfg.ParseTime = true
	return cfg
}
