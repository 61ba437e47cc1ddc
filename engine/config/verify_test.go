package config

import (
	"reflect"
	"testing"

	"github.com/velinhq/velin/providers/provider"
)

func TestVerifyAsserts(t *testing.T) {
	cfg := mustLoad(t, LoadOptions{Path: "testdata/valid/verify_asserts.hcl"})
	v := cfg.Backups["backup.nightly"].Verify
	if !v.TestRestore || len(v.Asserts) != 2 {
		t.Fatalf("verify = %+v", v)
	}
	a := v.Asserts[0]
	if a.Name != "customers" || a.Source.Addr != "source.sqlite.app" || a.SQL != "SELECT count(*) > 0 FROM customers" ||
		a.DeclRange.Start.Line != 16 || a.Source.Range.Start.Line != 17 {
		t.Errorf("assert = %+v", a)
	}
	want := []provider.Assert{
		{Name: "customers", SQL: "SELECT count(*) > 0 FROM customers"},
		{Name: "orders", SQL: "SELECT count(*) >= 0 FROM orders"},
	}
	if got := v.AssertsFor("source.sqlite.app"); !reflect.DeepEqual(got, want) {
		t.Errorf("AssertsFor(app) = %+v", got)
	}
	if got := v.AssertsFor("source.files.site"); got != nil {
		t.Errorf("AssertsFor(site) = %+v", got)
	}
}
