package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// writeSite creates a small site, with files the plan excludes (*.tmp, cache/).
func writeSite(dir string) error {
	files := map[string]string{
		"index.html":           "<h1>Hello, velin</h1>\n",
		"about.html":           "<p>A site worth keeping.</p>\n",
		"css/site.css":         "body { font-family: sans-serif; }\n",
		"uploads/report.txt":   string(bytes.Repeat([]byte("quarterly numbers\n"), 2000)),
		"uploads/draft.tmp":    "excluded by *.tmp\n",
		"cache/page-1.html":    "excluded by cache/**\n",
		"uploads/photos/.keep": "",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return os.Symlink("index.html", filepath.Join(dir, "home.html"))
}

func openDB(path string) (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
}

func createDB(ctx context.Context, path string) error {
	db, err := openDB(path)
	if err != nil {
		return err
	}
	defer db.Close()
	stmts := []string{
		"CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT)",
		"INSERT INTO posts (title, body) VALUES ('Hello', 'The first post.')",
		"INSERT INTO posts (title, body) VALUES ('Backups', 'Why we keep them.')",
		"CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)",
		"INSERT INTO users (name) VALUES ('ada'), ('linus')",
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create sample database: %w", err)
		}
	}
	return nil
}

func addPost(ctx context.Context, path, title string) error {
	db, err := openDB(path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "INSERT INTO posts (title, body) VALUES (?, 'Added later.')", title)
	return err
}

func countPosts(ctx context.Context, path string) (int64, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, err
	}
	db, err := openDB(path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM posts").Scan(&n)
	return n, err
}

// treeDiff is how two trees of regular files differ (relative,
// slash-separated, sorted paths).
type treeDiff struct {
	Changed []string // in both, with different content
	OnlyA   []string
	OnlyB   []string
}

func diffTrees(a, b string) (*treeDiff, error) {
	fa, err := readTree(a)
	if err != nil {
		return nil, err
	}
	fb, err := readTree(b)
	if err != nil {
		return nil, err
	}
	d := &treeDiff{}
	for p, ca := range fa {
		cb, ok := fb[p]
		switch {
		case !ok:
			d.OnlyA = append(d.OnlyA, p)
		case !bytes.Equal(ca, cb):
			d.Changed = append(d.Changed, p)
		}
	}
	for p := range fb {
		if _, ok := fa[p]; !ok {
			d.OnlyB = append(d.OnlyB, p)
		}
	}
	sort.Strings(d.Changed)
	sort.Strings(d.OnlyA)
	sort.Strings(d.OnlyB)
	return d, nil
}

func readTree(root string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	return out, err
}
