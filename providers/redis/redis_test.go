package redis

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/velinhq/velin/providers/provider"
)

func decode(t *testing.T, src string) (*Source, []string, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclparse.NewParser().ParseHCL([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var secrets []string
	s, diags := Decode(f.Body, provider.DecodeContext{Dir: "/plans", Secret: func(v string) { secrets = append(secrets, v) }})
	if s == nil {
		return nil, secrets, diags
	}
	return s.(*Source), secrets, diags
}

func TestDecode(t *testing.T) {
	for _, c := range []struct {
		src      string
		addr, id string
		db       int
		secret   string
	}{
		{`addr = "127.0.0.1:6379"`, "127.0.0.1:6379", "redis://127.0.0.1:6379", AllDBs, ""},
		{"addr = \"h:1\"\ndb = 3", "h:1", "redis://h:1/3", 3, ""},
		{"addr = \"h:1\"\ndb = \"all\"", "h:1", "redis://h:1", AllDBs, ""},
		{"addr = \"redis://u:pw@h:7/2\"", "h:7", "redis://u@h:7/2", 2, "pw"},
		{"addr = \"rediss://h\"\npassword = \"s3cret\"\nusername = \"bk\"\ndb = \"5\"", "h:6379", "rediss://bk@h:6379/5", 5, "s3cret"},
	} {
		s, secrets, diags := decode(t, c.src)
		if diags.HasErrors() {
			t.Errorf("%q: %v", c.src, diags)
			continue
		}
		if s.srv.Addr != c.addr || s.db != c.db || s.identity() != c.id {
			t.Errorf("%q: addr %s db %d identity %s, want %s %d %s", c.src, s.srv.Addr, s.db, s.identity(), c.addr, c.db, c.id)
		}
		if c.secret != "" && (len(secrets) != 1 || secrets[0] != c.secret) {
			t.Errorf("%q: secrets registered %q, want the password", c.src, secrets)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, bad := range []string{
		``, `addr = ""`, `addr = "nohost"`, `addr = "http://h:1"`, `addr = "redis://h:1/x"`,
		"addr = \"h:1\"\ndb = -1", "addr = \"h:1\"\ndb = 1.5", "addr = \"h:1\"\ndb = \"some\"",
		"addr = \"redis://h:1/2\"\ndb = 3", "addr = \"h:1\"\ndb = 3\nscratch_db = 3",
		"addr = \"h:1\"\ntimeout = \"soon\"", "addr = \"h:1\"\ntest_restore_addr = \"x\"",
		"addr = \"h:1\"\nextra = 1",
	} {
		_, _, diags := decode(t, bad)
		if !diags.HasErrors() {
			t.Errorf("%q: no diagnostic", bad)
			continue
		}
		if diags[0].Subject == nil || diags[0].Subject.Filename != "test.hcl" {
			t.Errorf("%q: diagnostic without a range: %v", bad, diags[0])
		}
	}
}

func TestRecoverNeverHoldsPassword(t *testing.T) {
	s, _, _ := decode(t, `addr = "redis://u:topsecret@h:7/2"`)
	id := s.identity()
	if strings.Contains(id, "topsecret") {
		t.Fatalf("identity %q holds the password", id)
	}
	r, err := Recover(id)
	if err != nil || r.srv.Addr != "h:7" || r.db != 2 || r.srv.Username != "u" {
		t.Errorf("recover %q: %+v %v", id, r, err)
	}
	if _, err := Recover("redis://u:pw@h:7"); err == nil {
		t.Error("recover of an identity with a password succeeded")
	}
}

func TestRecordFormat(t *testing.T) {
	var buf bytes.Buffer
	rw, err := newRecordWriter(&buf)
	must(t, err)
	recs := []record{{Key: []byte(""), Payload: []byte("x")}, {Key: []byte("k\x00\xff"), ExpireAt: 1234567890123, Payload: bytes.Repeat([]byte{7}, 70000)}}
	for _, r := range recs {
		must(t, rw.add(r))
	}
	must(t, rw.close())
	data := buf.Bytes()
	rr, err := newRecordReader(bytes.NewReader(data))
	must(t, err)
	for i, want := range recs {
		got, err := rr.next()
		if err != nil || !bytes.Equal(got.Key, want.Key) || got.ExpireAt != want.ExpireAt || !bytes.Equal(got.Payload, want.Payload) {
			t.Fatalf("record %d: %v %v", i, got.Key, err)
		}
	}
	if _, err := rr.next(); err != io.EOF {
		t.Fatalf("after the last record: %v, want EOF", err)
	}
	// Every truncation, and trailing junk, is refused.
	for _, bad := range [][]byte{data[:len(data)-1], data[:len(data)/2], data[:5], append(append([]byte{}, data...), 'x')} {
		if err := readAll(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("%d bytes of %d: %v, want ErrFormat", len(bad), len(data), err)
		}
	}
}

func readAll(data []byte) error {
	rr, err := newRecordReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	for {
		if _, err := rr.next(); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func TestCheckAssert(t *testing.T) {
	s := New(Server{Addr: "h:1"}, Options{})
	if err := s.CheckAssert(provider.Assert{Name: "a", Keys: "session:*"}); err != nil {
		t.Error(err)
	}
	for _, bad := range []provider.Assert{{Name: "a", SQL: "SELECT 1"}, {Name: "a"}, {Name: "a", Keys: "x", MinCount: -1}} {
		if err := s.CheckAssert(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if err := s.CheckAssert(provider.Assert{Name: "a", SQL: "SELECT 1", Keys: "x"}); err == nil || !strings.Contains(err.Error(), "not sql") {
		t.Errorf("sql: %v", err)
	}
}
