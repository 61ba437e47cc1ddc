package all

import (
	"github.com/velinhq/velin/providers/bucket"
	"github.com/velinhq/velin/providers/exec"
	"github.com/velinhq/velin/providers/files"
	"github.com/velinhq/velin/providers/http"
	"github.com/velinhq/velin/providers/local"
	"github.com/velinhq/velin/providers/mysql"
	"github.com/velinhq/velin/providers/postgres"
	"github.com/velinhq/velin/providers/provider"
	"github.com/velinhq/velin/providers/redis"
	"github.com/velinhq/velin/providers/s3"
	"github.com/velinhq/velin/providers/sqlite"
)

// Registry returns a new registry of every provider type.
func Registry() *provider.Registry {
	return &provider.Registry{
		Sources: []provider.SourceType{files.Type(), sqlite.Type(), redis.Type(), mysql.Type(), postgres.Type(), bucket.Type()},
		Targets: []provider.TargetType{local.Type(), s3.Type()},
		Steps:   []provider.StepType{exec.Type(), http.Type()},
	}
}
