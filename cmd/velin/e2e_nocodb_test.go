package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/velinhq/velin/engine/storage/s3/s3test"
	"github.com/velinhq/velin/providers/dbtest"
)

// TestPlanNocoDB runs plans/nocodb.velin.hcl end to end against the real
// PostgreSQL and MinIO: the nightly backup with its test restore, the
// copy to S3 (listed on both targets), a second run the daily retention
// thins out on both targets, and the declared restore with NocoDB stopped
// and started around it.
func TestPlanNocoDB(t *testing.T) {
	dsn := dbtest.Postgres(t)
	srv, bucket := s3test.Bucket(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	pgConnExec(t, conn, `CREATE TABLE nc_bases (id text PRIMARY KEY, title text);
		INSERT INTO nc_bases VALUES ('p1', 'CRM'), ('p2', 'Inventory');
		CREATE TABLE nc_crm_contacts (id serial PRIMARY KEY, name text);
		INSERT INTO nc_crm_contacts (name) SELECT 'contact ' || g FROM generate_series(1, 200) g;`)
	p := newProject(t, planFile(t, "nocodb.velin.hcl"))
	p.write("data/nc/uploads/2026/12/logo.png", strings.Repeat("PNG", 5000))
	p.write("data/nc/uploads/2026/12/contract.pdf", "%PDF contract")
	p.write("data/tmp/upload.part", "in flight")
	p.write("vars.hcl", fmt.Sprintf("data_dir = %q\nrepo_dir = %q\ns3_endpoint = %q\ns3_region = \"us-east-1\"\ns3_bucket = %q\nnocodb_stop = %s\nnocodb_start = %s\n",
		p.path("data"), p.path("repo"), srv.Endpoint, bucket, recorder(p, "stop"), recorder(p, "start")))
	p.env = append(p.env, "VELIN_VAR_database_url="+dsn, "VELIN_VAR_s3_access_key="+srv.AccessKey,
		"VELIN_VAR_s3_secret_key="+srv.SecretKey, "VELIN_OFFSITE_PASSPHRASE="+offsitePassphrase)

	p.must("apply", "-var-file", "vars.hcl", "-auto-approve")
	snaps := nocoSnapshots(p)
	if len(snaps) != 1 || !slices.Equal(snaps[0].Targets, []string{"local.disk", "s3.offsite"}) {
		t.Fatalf("after the first run: %+v, want one snapshot on local.disk and s3.offsite", snaps)
	}
	data := treeDigest(t, p.path("data"))
	delete(data, "tmp/upload.part") // excluded
	delete(data, "tmp")

	pgConnExec(t, conn, `INSERT INTO nc_crm_contacts (name) VALUES ('the next day')`)
	r := p.must("apply", "-var-file", "vars.hcl", "-auto-approve")
	// keep_daily = 30: one snapshot a day, here and offsite (two at most
	// when the runs straddle midnight).
	snaps = nocoSnapshots(p)
	if last := snaps[len(snaps)-1]; !slices.Equal(last.Targets, []string{"local.disk", "s3.offsite"}) {
		t.Errorf("the second snapshot is on %v, want both targets", last.Targets)
	}
	if len(snaps) > 2 || (len(snaps) == 2 && snaps[0].ID[:8] == snaps[1].ID[:8]) {
		t.Errorf("keep_daily = 30 kept %d snapshots of the same day:\n%s", len(snaps), r)
	}

	pgConnExec(t, conn, `DELETE FROM nc_crm_contacts WHERE id > 50; UPDATE nc_bases SET title = 'broken'`)
	p.write("data/nc/uploads/2026/12/logo.png", "overwritten")
	if err := os.Remove(p.path("data/nc/uploads/2026/12/contract.pdf")); err != nil {
		t.Fatal(err)
	}
	p.must("apply", "-var-file", "vars.hcl", "-restore", "nocodb", "-auto-approve")
	if n := pgCount(t, conn, "nc_crm_contacts"); n != 201 {
		t.Errorf("nc_crm_contacts has %d rows after the restore, want 201", n)
	}
	got := treeDigest(t, p.path("data"))
	for k := range got {
		if strings.HasPrefix(k, "tmp") {
			delete(got, k)
		}
	}
	if diff := diffDigests(data, got); len(diff) > 0 {
		t.Errorf("data directory not restored: %s", diff)
	}
	if got := events(t, p); got != "stop\nstart" {
		t.Errorf("steps ran as %q, want stop then start", got)
	}
	if hits := grepTree(t, p.dir, srv.SecretKey); len(hits) > 0 {
		t.Errorf("the S3 secret key is stored in %v", hits)
	}
}

// nocoSnapshots lists the snapshots with the targets each is on.
func nocoSnapshots(p *project) []listedTargets {
	p.t.Helper()
	var out []listedTargets
	r := p.must("backup", "list", "-var-file", "vars.hcl", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		p.t.Fatalf("backup list --json: %v\n%s", err, r.stdout)
	}
	return out
}
