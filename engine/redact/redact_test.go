package redact

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestStringMasksLongestFirst(t *testing.T) {
	r := New("hunter2", "hunter2-extra", "")
	got := r.String("a=hunter2-extra b=hunter2 c=plain")
	want := "a=(sensitive) b=(sensitive) c=plain"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestErrorAndNil(t *testing.T) {
	var nilR *Redactor
	if nilR.String("x") != "x" {
		t.Fatal("nil redactor must pass strings through")
	}
	r := New("s3cret")
	if got := r.Error(errors.New("open: s3cret")); got != "open: (sensitive)" {
		t.Fatalf("got %q", got)
	}
	if r.Error(nil) != "" {
		t.Fatal("nil error must give empty string")
	}
}

func TestWriterCatchesSplitSecret(t *testing.T) {
	var out bytes.Buffer
	w := New("topsecret").Writer(&out)
	for _, part := range []string{"line one top", "secret here\nnext ", "tops", "ecret\n", "tail"} {
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Contains(got, "topsecret") {
		t.Fatalf("secret leaked: %q", got)
	}
	want := "line one (sensitive) here\nnext (sensitive)\ntail"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
