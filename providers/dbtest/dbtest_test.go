package dbtest

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

func TestPostgres(t *testing.T) {
	dsn := Postgres(t)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var name string
	if err := conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil || len(name) < 10 || name[:8] != "velin_t_" {
		t.Fatalf("current_database = %q, %v", name, err)
	}
}

func TestMySQL(t *testing.T) {
	u := MySQL(t)
	if len(u) < len("mysql://") {
		t.Fatalf("url %q", u)
	}
	db := OpenMySQL(t, "")
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'velin_t_%'").Scan(&n); err != nil || n < 1 {
		t.Fatalf("created schema not found: %d, %v", n, err)
	}
}

func TestRedisClaimsDistinctNumbers(t *testing.T) {
	a, b := Redis(t), Redis(t)
	if a.DB == b.DB || a.DB == 0 || b.DB == 0 {
		t.Fatalf("claimed %d and %d", a.DB, b.DB)
	}
	cl := redis.NewClient(a)
	defer cl.Close()
	if err := cl.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestPostgresPassword(t *testing.T) {
	dsn := PostgresPassword(t, "Thr0waway-pw")
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatalf("connect with the password: %v", err)
	}
	conn.Close(context.Background())
	wrong := strings.Replace(dsn, "Thr0waway-pw", "wrong", 1)
	if _, err := pgx.Connect(context.Background(), wrong); err == nil || !strings.Contains(err.Error(), "password authentication failed") {
		t.Fatalf("a wrong password: %v", err)
	}
}
