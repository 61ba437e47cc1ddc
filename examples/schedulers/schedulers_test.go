package schedulers

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"go.yaml.in/yaml/v3"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/providers/all"
)

// wantArgs is the velin command line both examples run.
var wantArgs = []string{"backup", "create", "--backup", "nightly", "-f", "/etc/velin"}

type cronJob struct {
	Kind string `yaml:"kind"`
	Spec struct {
		Schedule          string `yaml:"schedule"`
		ConcurrencyPolicy string `yaml:"concurrencyPolicy"`
		JobTemplate       struct {
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Command []string `yaml:"command"`
						} `yaml:"containers"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
	} `yaml:"spec"`
	Data map[string]string `yaml:"data"`
}

func TestKubernetesCronJob(t *testing.T) {
	b, err := os.ReadFile("../kubernetes/cronjob.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]cronJob{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var d cronJob
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		docs[d.Kind] = d
	}
	cj, ok := docs["CronJob"]
	if !ok {
		t.Fatal("no CronJob")
	}
	if cj.Spec.ConcurrencyPolicy != "Forbid" {
		t.Errorf("concurrencyPolicy %q, want Forbid", cj.Spec.ConcurrencyPolicy)
	}
	cs := cj.Spec.JobTemplate.Spec.Template.Spec.Containers
	if len(cs) != 1 || !slices.Equal(cs[0].Command, append([]string{"velin"}, wantArgs...)) {
		t.Errorf("containers %+v, want one running velin %v", cs, wantArgs)
	}
	plan := docs["ConfigMap"].Data["velin.hcl"]
	if !strings.Contains(plan, `target "s3"`) {
		t.Errorf("the plan's repository is not on S3:\n%s", plan)
	}
	checkPlan(t, plan)
}

// checkPlan loads plan as velin would: it must have no errors.
func checkPlan(t *testing.T, plan string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "velin.hcl"), []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, diags := config.Load(config.LoadOptions{Path: dir, Registry: all.Registry(),
		Env: []string{"VELIN_PASSPHRASE=an example passphrase for the test"}})
	if diags.HasErrors() {
		t.Fatalf("the example's plan: %v", diags)
	}
	if _, ok := cfg.Backups["backup.nightly"]; !ok {
		t.Fatal("the example's plan has no backup nightly")
	}
}

type nomadJob struct {
	Jobs []struct {
		Name     string   `hcl:"name,label"`
		Type     string   `hcl:"type"`
		Periodic periodic `hcl:"periodic,block"`
		Groups   []struct {
			Name  string   `hcl:"name,label"`
			Tasks []task   `hcl:"task,block"`
			Rest  hcl.Body `hcl:",remain"`
		} `hcl:"group,block"`
	} `hcl:"job,block"`
}

type periodic struct {
	Crons           []string `hcl:"crons"`
	TimeZone        string   `hcl:"time_zone,optional"`
	ProhibitOverlap bool     `hcl:"prohibit_overlap"`
}

type task struct {
	Name   string `hcl:"name,label"`
	Driver string `hcl:"driver"`
	Config struct {
		Command string   `hcl:"command"`
		Args    []string `hcl:"args"`
	} `hcl:"config,block"`
	Rest hcl.Body `hcl:",remain"`
}

func TestNomadPeriodicJob(t *testing.T) {
	f, diags := hclparse.NewParser().ParseHCLFile("../nomad/velin.nomad.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var job nomadJob
	if diags := gohcl.DecodeBody(f.Body, nil, &job); diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(job.Jobs) != 1 || job.Jobs[0].Type != "batch" {
		t.Fatalf("jobs %+v, want one batch job", job.Jobs)
	}
	j := job.Jobs[0]
	if !j.Periodic.ProhibitOverlap || len(j.Periodic.Crons) != 1 {
		t.Errorf("periodic %+v, want prohibit_overlap = true and one cron", j.Periodic)
	}
	if len(j.Groups) != 1 || len(j.Groups[0].Tasks) != 1 {
		t.Fatalf("groups %+v, want one task", j.Groups)
	}
	c := j.Groups[0].Tasks[0].Config
	if !strings.HasSuffix(c.Command, "/velin") || !slices.Equal(c.Args, wantArgs) {
		t.Errorf("task runs %s %v, want velin %v", c.Command, c.Args, wantArgs)
	}
}
