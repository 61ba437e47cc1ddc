package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/velinhq/velin/engine/storage/counting"
	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/engine/workspace"
)

// requests runs velin with VELIN_STATS_FILE set and returns the requests
// it made to target.s3.offsite.
func (p *project) requests(args ...string) counting.Counts {
	p.t.Helper()
	file := filepath.Join(p.t.TempDir(), "stats.json")
	env := p.env
	p.env = append(append([]string(nil), env...), "VELIN_STATS_FILE="+file)
	defer func() { p.env = env }()
	p.must(args...)
	data, err := os.ReadFile(file)
	if err != nil {
		p.t.Fatalf("velin %v wrote no stats file: %v", args, err)
	}
	var st workspace.Stats
	if err := json.Unmarshal(data, &st); err != nil {
		p.t.Fatalf("stats file of velin %v: %v\n%s", args, err, data)
	}
	c, ok := st.Requests["target.s3.offsite"]
	if !ok || st.Total != c {
		p.t.Fatalf("stats file of velin %v has no requests of target.s3.offsite, or others: %s", args, data)
	}
	return c
}

// TestE2EStatsFile: VELIN_STATS_FILE receives the requests of a command;
// a listing lists and reads, a backup writes.
func TestE2EStatsFile(t *testing.T) {
	srv, bucket := s3test.Bucket(t)
	p := s3Project(t, srv, srv.Endpoint, bucket)
	p.write("data/a.txt", "hello")
	backup := p.requests("backup", "create")
	if backup.Put == 0 || backup.List == 0 {
		t.Errorf("backup create made %+v, want puts and lists", backup)
	}
	list := p.requests("backup", "list")
	if list.List == 0 || list.Put != 0 || list.Delete != 0 {
		t.Errorf("backup list made %+v, want lists and no writes", list)
	}
}
