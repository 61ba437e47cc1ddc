package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// packFiles lists the pack files of the project's repository.
func packFiles(t *testing.T, p *project) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(p.path("backups/data"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// setEnv replaces or adds one variable of the project's environment.
func (p *project) setEnv(name, value string) {
	for i, kv := range p.env {
		if strings.HasPrefix(kv, name+"=") {
			p.env[i] = name + "=" + value
			return
		}
	}
	p.env = append(p.env, name+"="+value)
}

// TestE2EPruneSparesYoungPacks: with the default safety margin, data
// written moments ago is not deleted even when nothing references it (a
// lagging listing may hide the snapshot that does).
func TestE2EPruneSparesYoungPacks(t *testing.T) {
	p := newProject(t, filesPlan)
	p.setEnv("VELIN_PRUNE_MARGIN", "")
	p.setEnv("VELIN_PRUNE_GRACE", "")
	p.write("data/a.bin", randomString(50_000))
	p.must("backup", "create")
	snaps := p.snapshots()
	packs := packFiles(t, p)
	var del forgetJSON
	decodeJSON(t, p.must("backup", "delete", snaps[0].ID, "--yes", "--json"), &del)
	if del.Reclaimed.PacksDeleted != 0 || del.Reclaimed.BytesFreed != 0 {
		t.Errorf("delete reclaimed young packs: %+v", del.Reclaimed)
	}
	if got := packFiles(t, p); len(got) != len(packs) {
		t.Errorf("packs deleted within the safety margin: %d of %d left", len(got), len(packs))
	}
}

// TestE2EPruneTwoPhase: an unused pack is first marked (bytes_freed 0,
// packs_marked > 0, the file stays), and deleted by a prune after the grace
// period; --dry-run says which of the two happens. The grace period is an
// hour, then shortened to a millisecond to stand for the time passed.
func TestE2EPruneTwoPhase(t *testing.T) {
	p := newProject(t, filesPlan)
	p.setEnv("VELIN_PRUNE_GRACE", "1h")
	p.write("data/a.bin", randomString(50_000))
	p.must("backup", "create")
	snaps := p.snapshots()
	packs := packFiles(t, p)
	out := p.must("backup", "delete", snaps[0].ID, "--yes")
	if !strings.Contains(out.stdout, "Marked") || !strings.Contains(out.stdout, "Reclaimed 0 B") {
		t.Errorf("delete does not say it only marked the packs:\n%s", out.stdout)
	}
	if got := packFiles(t, p); len(got) != len(packs) {
		t.Fatalf("delete deleted packs at once: %d of %d left", len(got), len(packs))
	}
	var dry pruneJSON
	decodeJSON(t, p.must("backup", "prune", "--dry-run", "--json"), &dry)
	if m := dry.Targets[0].Reclaimed; m.PacksMarked != len(packs) || m.PacksDeleted != 0 || m.BytesFreed != 0 {
		t.Errorf("dry run within the grace period: %+v, want %d packs marked, none deleted", m, len(packs))
	}
	p.setEnv("VELIN_PRUNE_GRACE", "1ms")
	decodeJSON(t, p.must("backup", "prune", "--dry-run", "--json"), &dry)
	would := dry.Targets[0].Reclaimed
	if would.PacksDeleted != len(packs) || would.BytesFreed == 0 || would.PacksMarked != 0 {
		t.Errorf("dry run after the grace period: %+v, want %d packs deleted", would, len(packs))
	}
	var real pruneJSON
	decodeJSON(t, p.must("backup", "prune", "--json"), &real)
	if got := real.Targets[0].Reclaimed; got != would {
		t.Errorf("prune %+v, dry run said %+v", got, would)
	}
	if got := packFiles(t, p); len(got) != 0 {
		t.Errorf("packs left after the grace period: %v", got)
	}
}
