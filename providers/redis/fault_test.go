package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/velinhq/velin/providers/dbtest"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/sourcetest"
)

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one saying %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not say %q", err, p)
		}
	}
}

// TestWrongPassword creates an ACL user with a password, then inspects
// with a wrong one: the error names the server, the user and the fix,
// never the password.
func TestWrongPassword(t *testing.T) {
	o := dbtest.Redis(t)
	admin := connect(t, o)
	ctx := context.Background()
	user := "velin_t_" + newID()
	must(t, admin.Do(ctx, "ACL", "SETUSER", user, "on", ">right-pass-123", "~*", "+@all").Err())
	t.Cleanup(func() { admin.Do(context.Background(), "ACL", "DELUSER", user) })
	good := New(Server{Addr: o.Addr, Username: user, Password: "right-pass-123"}, Options{DB: o.DB, ScratchDB: -1})
	if _, err := good.Inspect(ctx); err != nil {
		t.Fatalf("inspect with the right password: %v", err)
	}
	s := New(Server{Addr: o.Addr, Username: user, Password: "wrong-pass-456"}, Options{DB: o.DB, ScratchDB: -1})
	_, err := s.Inspect(ctx)
	wantErr(t, err, "inspect redis", o.Addr, user, "refused the credentials", "check password")
	_, berr := s.Backup(ctx, sourcetest.NewMemSnapshot(nil), provider.BackupOptions{})
	for _, e := range []error{err, berr} {
		if e == nil || strings.Contains(e.Error(), "wrong-pass-456") || strings.Contains(e.Error(), "right-pass") {
			t.Errorf("error %v: missing or shows a password", e)
		}
	}
}

func TestUnreachable(t *testing.T) {
	s := New(Server{Addr: "127.0.0.1:1"}, Options{DB: 0, ScratchDB: -1, Timeout: 2 * time.Second})
	_, err := s.Inspect(context.Background())
	wantErr(t, err, "inspect redis redis://127.0.0.1:1/0", "cannot reach 127.0.0.1:1", "check addr")
}

func TestUnknownDatabase(t *testing.T) {
	o := dbtest.Redis(t)
	s := New(Server{Addr: o.Addr}, Options{DB: 999, ScratchDB: -1})
	_, err := s.Inspect(context.Background())
	wantErr(t, err, "database 999 does not exist", `set db to a number below the server's "databases"`)
}

// cancelSink cancels the backup once it has read some content.
type cancelSink struct {
	provider.Sink
	cancel func()
}

func (c cancelSink) Put(ctx context.Context, e provider.Entry, r io.Reader) error {
	if _, err := io.CopyN(io.Discard, r, 4096); err != nil {
		return err
	}
	c.cancel()
	_, err := io.Copy(io.Discard, r)
	return err
}

func TestCancelMidBackup(t *testing.T) {
	o := dbtest.Redis(t)
	fill(t, connect(t, o))
	s := New(Server{Addr: o.Addr}, Options{DB: o.DB, ScratchDB: -1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	snap := sourcetest.NewMemSnapshot(nil)
	_, err := s.Backup(ctx, cancelSink{Sink: snap, cancel: cancel}, provider.BackupOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("backup cancelled half-way: %v, want context.Canceled", err)
	}
	if len(snap.Finish().Entries()) != 0 {
		t.Error("a cancelled backup stored entries")
	}
}

// failAt is a tree whose database entry fails half-way; info.json reads.
type failAt struct{ provider.Tree }

func (f failAt) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	rc, err := f.Tree.Open(ctx, e)
	if err != nil || e.Path == infoPath {
		return rc, err
	}
	return io.NopCloser(io.MultiReader(io.LimitReader(rc, e.Size/2), errReader{})), nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("injected failure") }

// TestFailedRestoreChangesNothing restores, without and with flush, a
// snapshot whose data fails half-way: the live database keeps exactly
// its content and the scratch database is empty again.
func TestFailedRestoreChangesNothing(t *testing.T) {
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprint("flush=", flush), func(t *testing.T) {
			live, scr := dbtest.Redis(t), dbtest.Redis(t)
			c := connect(t, live)
			fill(t, c)
			s := New(Server{Addr: live.Addr}, Options{DB: live.DB, ScratchDB: scr.DB, Flush: flush})
			snap := sourcetest.NewMemSnapshot(nil)
			if _, err := s.Backup(context.Background(), snap, provider.BackupOptions{}); err != nil {
				t.Fatal(err)
			}
			must(t, c.Set(context.Background(), "user:1", "changed", 0).Err())
			want := capture(t, c)
			err := s.Restore(context.Background(), failAt{snap.Finish()}, provider.RestoreOptions{})
			wantErr(t, err, "injected failure", "nothing was changed")
			compare(t, capture(t, c), want)
			if n := connect(t, scr).DBSize(context.Background()).Val(); n != 0 {
				t.Errorf("scratch database holds %d keys after the failed restore", n)
			}
		})
	}
}

// TestRestoreMerges: without flush, keys the snapshot lacks stay, the
// snapshot's keys come back; with flush, only the snapshot's keys remain.
// RestoreOptions.Flush (a restore block's flush) overrides the source's.
func TestRestoreMerges(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		source   bool
		override *bool
	}{{false, nil}, {true, nil}, {true, &no}, {false, &yes}} {
		flush := tc.source
		if tc.override != nil {
			flush = *tc.override
		}
		t.Run(fmt.Sprintf("source=%v,override=%v", tc.source, tc.override != nil), func(t *testing.T) {
			live, scr := dbtest.Redis(t), dbtest.Redis(t)
			c := connect(t, live)
			ctx := context.Background()
			must(t, c.Set(ctx, "a", "1", 0).Err())
			must(t, c.Set(ctx, "b", "2", 0).Err())
			s := New(Server{Addr: live.Addr}, Options{DB: live.DB, ScratchDB: scr.DB, Flush: tc.source})
			snap := sourcetest.NewMemSnapshot(nil)
			if _, err := s.Backup(ctx, snap, provider.BackupOptions{}); err != nil {
				t.Fatal(err)
			}
			must(t, c.Set(ctx, "a", "changed", 0).Err())
			must(t, c.Del(ctx, "b").Err())
			must(t, c.Set(ctx, "new", "3", time.Hour).Err())
			opts := provider.RestoreOptions{Flush: tc.override}
			changes, err := s.PlanRestore(ctx, snap.Finish(), opts)
			if err != nil || len(changes) != 1 || changes[0].Action != "replace" || changes[0].Snapshot != "2 keys" ||
				changes[0].Current != "2 keys" || strings.HasPrefix(changes[0].Detail, "flush") != flush {
				t.Errorf("plan: %+v %v", changes, err)
			}
			must(t, s.Restore(ctx, snap.Finish(), opts))
			got := map[string]string{}
			for _, k := range []string{"a", "b", "new"} {
				got[k] = c.Get(ctx, k).Val()
			}
			want := map[string]string{"a": "1", "b": "2", "new": "3"}
			if flush {
				want["new"] = ""
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("after restore %v, want %v", got, want)
			}
			if !flush && c.PTTL(ctx, "new").Val() < 50*time.Minute {
				t.Error("the merged key lost its TTL")
			}
		})
	}
}

// TestExpiredKeysSkipped restores a snapshot whose keys expire before,
// and after, the backup's end: the first is skipped, the second keeps the
// time it had left then.
func TestExpiredKeysSkipped(t *testing.T) {
	live, scr := dbtest.Redis(t), dbtest.Redis(t)
	c := connect(t, live)
	ctx := context.Background()
	payload := func(v string) []byte {
		must(t, c.Set(ctx, "tmp", v, 0).Err())
		d, err := c.Dump(ctx, "tmp").Result()
		must(t, err)
		must(t, c.Del(ctx, "tmp").Err())
		return []byte(d)
	}
	end := time.Now().Add(-24 * time.Hour).UnixMilli() // a day-old backup
	tree := craftTree(t, end, map[int][]record{0: {
		{Key: []byte("gone"), ExpireAt: end - 1, Payload: payload("x")},
		{Key: []byte("left"), ExpireAt: end + 600_000, Payload: payload("y")},
		{Key: []byte("kept"), Payload: payload("z")},
	}})
	s := New(Server{Addr: live.Addr}, Options{DB: live.DB, ScratchDB: scr.DB})
	must(t, s.Restore(ctx, tree, provider.RestoreOptions{To: dbURL(live)}))
	if n := c.Exists(ctx, "gone").Val(); n != 0 {
		t.Error("a key expired before the backup ended was restored")
	}
	if p := c.PTTL(ctx, "left").Val(); p > 10*time.Minute || p < 9*time.Minute {
		t.Errorf("left: pttl %v, want the 10 minutes it had left at the backup's end", p)
	}
	if c.Get(ctx, "kept").Val() != "z" || c.PTTL(ctx, "kept").Val() != -1 {
		t.Error("kept: not restored without expiry")
	}
	rep, err := s.TestRestore(ctx, tree, provider.TestRestoreOptions{ID: "t1"})
	if err != nil || rep.Counts.Rows != 3 || len(rep.Failed()) != 0 {
		t.Errorf("test restore: %+v %v", rep, err)
	}
}

func TestCleanLeftovers(t *testing.T) {
	live, killed, running := dbtest.Redis(t), dbtest.Redis(t), dbtest.Redis(t)
	ctx := context.Background()
	kc, rc := connect(t, killed), connect(t, running)
	must(t, kc.Set(ctx, markerVerify, "abc 1000", 0).Err())
	must(t, kc.Set(ctx, "restored", "x", 0).Err())
	must(t, rc.Set(ctx, markerRestore, "def "+nowText(), 0).Err())
	must(t, rc.Set(ctx, "staged", "y", 0).Err())
	must(t, connect(t, live).Set(ctx, "live", "z", 0).Err())
	s := New(Server{Addr: live.Addr}, Options{DB: live.DB, ScratchDB: -1})
	got, err := s.CleanLeftovers(ctx)
	if err != nil || len(got) != 1 || !strings.HasSuffix(got[0], fmt.Sprintf("db %d", killed.DB)) {
		t.Errorf("cleaned %v %v, want only db %d", got, err, killed.DB)
	}
	if kc.DBSize(ctx).Val() != 0 || rc.DBSize(ctx).Val() != 2 || connect(t, live).DBSize(ctx).Val() != 1 {
		t.Error("cleaned the wrong databases")
	}
}

// craftTree builds a snapshot of the given databases' records.
func craftTree(t *testing.T, end int64, dbs map[int][]record) *sourcetest.MemTree {
	inf := info{Format: 1, EndUnixMS: end}
	entries, data := map[string]provider.Entry{}, map[string][]byte{}
	for db, recs := range dbs {
		var buf bytes.Buffer
		rw, err := newRecordWriter(&buf)
		must(t, err)
		for _, r := range recs {
			must(t, rw.add(r))
		}
		must(t, rw.close())
		name := entryName(db)
		entries[name] = provider.Entry{Path: name, Kind: provider.KindFile, Size: int64(buf.Len())}
		data[name] = buf.Bytes()
		inf.Databases = append(inf.Databases, infoDB{DB: db, Entry: name, Keys: int64(len(recs))})
	}
	sort.Slice(inf.Databases, func(i, j int) bool { return inf.Databases[i].DB < inf.Databases[j].DB })
	js, _ := json.Marshal(inf)
	entries[infoPath] = provider.Entry{Path: infoPath, Kind: provider.KindFile, Size: int64(len(js))}
	data[infoPath] = js
	return sourcetest.NewMemTree(entries, data)
}

// failOn is a tree whose entry path fails half-way.
type failOn struct {
	provider.Tree
	path string
}

func (f failOn) Open(ctx context.Context, e provider.Entry) (io.ReadCloser, error) {
	if e.Path != f.path {
		return f.Tree.Open(ctx, e)
	}
	return failAt{f.Tree}.Open(ctx, e)
}

// TestRestoreSeveralDatabases restores a snapshot of two databases in
// place through one scratch database; when the second fails, the first
// is restored and the second as it was, and the error says so.
func TestRestoreSeveralDatabases(t *testing.T) {
	a, b, scr := dbtest.Redis(t), dbtest.Redis(t), dbtest.Redis(t)
	ca, cb := connect(t, a), connect(t, b)
	ctx := context.Background()
	payload := func(v string) []byte {
		must(t, ca.Set(ctx, "tmp", v, 0).Err())
		d, err := ca.Dump(ctx, "tmp").Result()
		must(t, err)
		must(t, ca.Del(ctx, "tmp").Err())
		return []byte(d)
	}
	tree := craftTree(t, time.Now().UnixMilli(), map[int][]record{
		a.DB: {{Key: []byte("ka"), Payload: payload("snap-a")}},
		b.DB: {{Key: []byte("kb"), Payload: payload("snap-b")}},
	})
	must(t, ca.Set(ctx, "ka", "live-a", 0).Err())
	must(t, cb.Set(ctx, "kb", "live-b", 0).Err())
	s := New(Server{Addr: a.Addr}, Options{DB: AllDBs, ScratchDB: scr.DB, Flush: true})
	first, second := a, b
	if b.DB < a.DB {
		first, second = b, a
	}
	err := s.Restore(ctx, failOn{tree, entryName(second.DB)}, provider.RestoreOptions{})
	wantErr(t, err, "injected failure", fmt.Sprintf("db%d restored already, the rest as it was", first.DB))
	want := map[int]string{a.DB: "live-a", b.DB: "live-b"}
	want[first.DB] = map[int]string{a.DB: "snap-a", b.DB: "snap-b"}[first.DB]
	if ga, gb := ca.Get(ctx, "ka").Val(), cb.Get(ctx, "kb").Val(); ga != want[a.DB] || gb != want[b.DB] {
		t.Errorf("after a failure in the second database: %q %q, want %v", ga, gb, want)
	}
	must(t, s.Restore(ctx, tree, provider.RestoreOptions{}))
	if ga, gb := ca.Get(ctx, "ka").Val(), cb.Get(ctx, "kb").Val(); ga != "snap-a" || gb != "snap-b" {
		t.Errorf("after restoring both: %q %q", ga, gb)
	}
	if n := connect(t, scr).DBSize(ctx).Val(); n != 0 {
		t.Errorf("the scratch database holds %d keys", n)
	}
}

// TestAllSkipsStagingDatabases: db = "all" leaves out a database velin is
// staging a restore in, and says so.
func TestAllSkipsStagingDatabases(t *testing.T) {
	plain, staging := dbtest.Redis(t), dbtest.Redis(t)
	ctx := context.Background()
	must(t, connect(t, plain).Set(ctx, "k", "v", 0).Err())
	must(t, connect(t, staging).Set(ctx, markerRestore, "abc "+nowText(), 0).Err())
	s := New(Server{Addr: plain.Addr}, Options{DB: AllDBs, ScratchDB: -1})
	f, err := s.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.Details[fmt.Sprintf("db%d", plain.DB)] != "1 key" {
		t.Errorf("details %v lack db%d", f.Details, plain.DB)
	}
	if _, ok := f.Details[fmt.Sprintf("db%d", staging.DB)]; ok {
		t.Errorf("details %v list the staging database", f.Details)
	}
	found := false
	for _, p := range f.Skipped {
		found = found || p.Path == entryName(staging.DB)
	}
	if !found {
		t.Errorf("skipped %v does not name db%d", f.Skipped, staging.DB)
	}
}

// TestPlanFindsNoScratch: a scratch_db that holds keys is an error of the
// restore plan, before anything runs; the live database is untouched.
func TestPlanFindsNoScratch(t *testing.T) {
	live, scr := dbtest.Redis(t), dbtest.Redis(t)
	ctx := context.Background()
	c := connect(t, live)
	must(t, c.Set(ctx, "k", "v", 0).Err())
	must(t, connect(t, scr).Set(ctx, "app-data", "x", 0).Err())
	s := New(Server{Addr: live.Addr}, Options{DB: live.DB, ScratchDB: scr.DB})
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := s.Backup(ctx, snap, provider.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := s.PlanRestore(ctx, snap.Finish(), provider.RestoreOptions{})
	wantErr(t, err, fmt.Sprintf("scratch_db %d on %s is not empty", scr.DB, live.Addr), "FLUSHDB")
	err = s.Restore(ctx, snap.Finish(), provider.RestoreOptions{})
	wantErr(t, err, "is not empty", "nothing was changed")
	if connect(t, scr).Get(ctx, "app-data").Val() != "x" || c.Get(ctx, "k").Val() != "v" {
		t.Error("a refused restore changed a database")
	}
}

// TestRestoreAfterKilledRestore: the scratch database a killed restore
// left (its marker stale) is emptied and used by the next restore.
func TestRestoreAfterKilledRestore(t *testing.T) {
	live, scr := dbtest.Redis(t), dbtest.Redis(t)
	ctx := context.Background()
	c, sc := connect(t, live), connect(t, scr)
	must(t, c.Set(ctx, "k", "snap", 0).Err())
	s := New(Server{Addr: live.Addr}, Options{DB: live.DB, ScratchDB: scr.DB})
	snap := sourcetest.NewMemSnapshot(nil)
	if _, err := s.Backup(ctx, snap, provider.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	must(t, c.Set(ctx, "k", "live", 0).Err())
	must(t, sc.Set(ctx, markerRestore, "killed 1000", 0).Err())
	must(t, sc.Set(ctx, "half", "restored", 0).Err())
	must(t, s.Restore(ctx, snap.Finish(), provider.RestoreOptions{}))
	if v := c.Get(ctx, "k").Val(); v != "snap" || c.Exists(ctx, "half").Val() != 0 {
		t.Errorf("after restore: k=%q, half present=%d", v, c.Exists(ctx, "half").Val())
	}
	if n := sc.DBSize(ctx).Val(); n != 0 {
		t.Errorf("scratch holds %d keys", n)
	}
}

// TestWithoutPermissions: an ACL user that may not run what a backup runs
// is refused by Inspect (velin plan), before anything is stored, with the
// command it lacks and the grant that fixes it.
func TestWithoutPermissions(t *testing.T) {
	o := dbtest.Redis(t)
	admin := connect(t, o)
	ctx := context.Background()
	for name, rules := range map[string][]any{
		"no dump": {"+@all", "-dump"},
		"no info": {"+@all", "-info"},
	} {
		t.Run(name, func(t *testing.T) {
			user := "velin_t_" + newID()
			args := append([]any{"ACL", "SETUSER", user, "on", ">perm-pass-123", "~*"}, rules...)
			must(t, admin.Do(ctx, args...).Err())
			t.Cleanup(func() { admin.Do(context.Background(), "ACL", "DELUSER", user) })
			s := New(Server{Addr: o.Addr, Username: user, Password: "perm-pass-123"}, Options{DB: o.DB, ScratchDB: -1})
			_, err := s.Inspect(ctx)
			wantErr(t, err, "inspect redis", "user \""+user+"\" lacks a permission", "grant it +@read")
			snap := sourcetest.NewMemSnapshot(nil)
			if _, err := s.Backup(ctx, snap, provider.BackupOptions{}); err == nil {
				t.Error("backup succeeded")
			}
			if puts, _ := snap.Counts(); puts != 0 {
				t.Errorf("a refused backup stored %d entries", puts)
			}
			if strings.Contains(err.Error(), "perm-pass-123") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
	// A user restricted to some keys may still back up a database of
	// those keys: the probe key it may not read is no refusal.
	user := "velin_t_" + newID()
	must(t, admin.Do(ctx, "ACL", "SETUSER", user, "on", ">perm-pass-123", "~app:*", "+@all").Err())
	t.Cleanup(func() { admin.Do(context.Background(), "ACL", "DELUSER", user) })
	s := New(Server{Addr: o.Addr, Username: user, Password: "perm-pass-123"}, Options{DB: o.DB, ScratchDB: -1})
	if _, err := s.Inspect(ctx); err != nil {
		t.Errorf("inspect as a user of app:* keys: %v", err)
	}
}
