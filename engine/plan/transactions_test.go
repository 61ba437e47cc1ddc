package plan

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestRenderOpenTransaction: an open transaction is shown with its
// deadline and what a rollback would do, also when nothing else changes.
func TestRenderOpenTransaction(t *testing.T) {
	p := &Plan{Transactions: []Transaction{{
		Deployment: "api", ID: "20261202T100000Z-0a0b0c0d", State: "open",
		Deadline: time.Date(2026, 12, 2, 10, 10, 0, 0, time.UTC), Watchdog: "alive",
		Rollback: []string{"migrate the schema down to 0001", "switch back to release v1"},
	}}}
	var b bytes.Buffer
	if err := p.Render(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Deployment api has an open transaction 20261202T100000Z-0a0b0c0d (open): deadline 2026-12-02T10:10:00Z, watchdog alive.",
		"a rollback will: migrate the schema down to 0001; switch back to release v1.",
		"No changes",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("render lacks %q:\n%s", want, b.String())
		}
	}
}
