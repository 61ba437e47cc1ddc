package redact

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestStringMasksLongestFirst(t *testing.T) {
	r := New("hunter22", "hunter22-extra", "")
	got := r.String("a=hunter22-extra b=hunter22 c=plain")
	want := "a=(sensitive) b=(sensitive) c=plain"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestShortSecretsAreNotSearched(t *testing.T) {
	r := New("x", "abc", "1234567", "12345678")
	in := "/tmp/xyz/abc.txt 1234567 12345678"
	if got, want := r.String(in), "/tmp/xyz/abc.txt 1234567 (sensitive)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := r.Short(); strings.Join(got, ",") != "x,abc,1234567" {
		t.Fatalf("Short() = %v", got)
	}
}

func TestMaskIsNotSearchedAgain(t *testing.T) {
	r := New("sensitive", "(sensitive) and more")
	if got := r.String("a sensitive b"); got != "a (sensitive) b" {
		t.Fatalf("got %q", got)
	}
}

func TestErrorAndNil(t *testing.T) {
	var nilR *Redactor
	if nilR.String("x") != "x" {
		t.Fatal("nil redactor must pass strings through")
	}
	r := New("s3cret-value")
	if got := r.Error(errors.New("open: s3cret-value")); got != "open: (sensitive)" {
		t.Fatalf("got %q", got)
	}
	if r.Error(nil) != "" {
		t.Fatal("nil error must give empty string")
	}
}

func TestWriterCatchesSplitSecret(t *testing.T) {
	var out bytes.Buffer
	w := New("topsecret").Writer(&out)
	for _, part := range []string{"line one top", "secret here\nnext ", "tops", "ecret\n", "tail top"} {
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	want := "line one (sensitive) here\nnext (sensitive)\ntail top"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A secret crossing any boundary of a line longer than any buffer is masked:
// redaction is on the stream, not per line.
func TestWriterLongLine(t *testing.T) {
	secret := "a-long-secret-value"
	line := strings.Repeat("y", 64<<10-5) + secret + strings.Repeat("z", 70<<10) + "\n"
	for _, chunk := range []int{1, 7, 4096, 64 << 10} {
		var out bytes.Buffer
		w := New(secret).Writer(&out)
		for i := 0; i < len(line); i += chunk {
			if _, err := w.Write([]byte(line[i:min(i+chunk, len(line))])); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), secret[:8]) || strings.Count(out.String(), Mask) != 1 {
			t.Fatalf("chunk %d: secret not masked exactly once", chunk)
		}
		if out.Len() != len(line)-len(secret)+len(Mask) {
			t.Fatalf("chunk %d: output has %d bytes", chunk, out.Len())
		}
	}
}
