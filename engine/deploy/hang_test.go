package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestSwitchReturnsWhenStartHangs: a start command that hangs past the
// command timeout (the health timeout) is killed with its process group,
// and the release that ran before is put back and started.
func TestSwitchReturnsWhenStartHangs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The start script of v2 hangs (its release holds a "hang" file).
	f.cfg.Start = []string{"sh", "-c", "echo start $(readlink current) >> events; if [ -e current/app/hang ]; then sleep 60; fi"}
	f.create("v1", true)
	f.write("build/app/hang", "")
	f.create("v2", true)
	if err := f.d.Switch(ctx, "v1"); err != nil {
		t.Fatal(err)
	}
	err := f.d.Switch(ctx, "v2")
	var rb *RolledBackError
	if !errors.As(err, &rb) || rb.Previous != "v1" || !strings.Contains(rb.Failed, "did not finish within") {
		t.Fatalf("Switch(v2) = %v, want a RolledBackError naming the hung start and returning to v1", err)
	}
	if got := f.current(); got != "v1" {
		t.Fatalf("current = %s, want v1", got)
	}
	if want := "start releases/v1\nstop\nstart releases/v2\nstop\nstart releases/v1\n"; f.events() != want {
		t.Errorf("events:\n%s\nwant:\n%s", f.events(), want)
	}
}
