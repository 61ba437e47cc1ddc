# A platform on PostgreSQL, MinIO (or any S3-compatible server) and Redis,
# backed up as ONE snapshot and restored as one: the database (its system
# task tables keep their structure but not their rows), the application's
# buckets (the artifact buckets left out), and Redis. The platform is in
# maintenance mode while velin reads or writes, and leaves it whatever
# happened. The snapshot's manifest records each server's version.
#
#   export VELIN_VAR_database_url=postgres://platform:secret@127.0.0.1:5432/platform
#   export VELIN_VAR_s3_access_key=... VELIN_VAR_s3_secret_key=...    # MinIO credentials
#   export VELIN_VAR_maintenance_token=...                            # the admin API's token
#   export VELIN_PASSPHRASE=...
#   velin -f platform-postgres-minio-redis.velin.hcl plan                     # servers, versions, sizes
#   velin -f platform-postgres-minio-redis.velin.hcl apply                    # backup "platform"
#   velin -f platform-postgres-minio-redis.velin.hcl backup show latest       # one id, three sources
#   velin -f platform-postgres-minio-redis.velin.hcl plan -restore platform   # what each system loses
#   velin -f platform-postgres-minio-redis.velin.hcl apply -restore platform

variable "database_url" {
  type        = string
  sensitive   = true
  description = "the platform's PostgreSQL DSN (postgres://user:password@host:5432/db)"
}

variable "task_tables" {
  type        = list(string)
  default     = ["public.task_*", "public.job_queue"]
  description = "the system task tables: dumped without their rows (a restore empties them)"
}

variable "s3_endpoint" {
  type    = string
  default = "http://127.0.0.1:9000"
}

variable "s3_access_key" {
  type      = string
  sensitive = true
}

variable "s3_secret_key" {
  type      = string
  sensitive = true
}

variable "buckets" {
  type        = list(string)
  default     = ["templates", "userdata", "snapshots"]
  description = "the buckets backed up, and emptied then restored by a restore"
}

variable "artifact_buckets" {
  type        = list(string)
  default     = ["artifacts", "artifacts-*"]
  description = "buckets (or BUCKET/PREFIX/** globs) never backed up nor touched by a restore"
}

variable "redis_url" {
  type        = string
  default     = "redis://127.0.0.1:6379/0"
  description = "the platform's Redis database (redis://[user:password@]host:port/db)"
}

variable "redis_scratch_db" {
  type        = number
  default     = 15
  description = "an empty Redis database the platform never uses: restores are staged in it"
}

variable "maintenance_url" {
  type        = string
  default     = "http://127.0.0.1:8080/api/admin/maintenance"
  description = "the platform's maintenance switch: POST {\"enabled\": true|false}"
}

variable "maintenance_token" {
  type      = string
  sensitive = true
}

variable "repo_dir" {
  type    = string
  default = "/var/backups/velin/platform"
}

target "local" "disk" {
  path       = var.repo_dir
  passphrase = env("VELIN_PASSPHRASE")
}

source "postgres" "platform" {
  dsn                   = var.database_url
  exclude_table_data    = var.task_tables
  terminate_connections = true # workers still connected despite maintenance must not block a restore
}

source "s3" "objects" {
  endpoint   = var.s3_endpoint
  buckets    = var.buckets
  exclude    = var.artifact_buckets
  access_key = var.s3_access_key
  secret_key = var.s3_secret_key
  mode       = "replace" # a restore leaves each bucket exactly as in the snapshot
}

source "redis" "platform" {
  addr       = var.redis_url
  scratch_db = var.redis_scratch_db
  flush      = true # a restore leaves the database exactly as in the snapshot
}

step "http" "maintenance_on" {
  url           = var.maintenance_url
  headers       = { Authorization = "Bearer ${var.maintenance_token}", "Content-Type" = "application/json" }
  body          = jsonencode({ enabled = true })
  expect_status = [200, 204]
  timeout       = "30s"
}

step "http" "maintenance_off" {
  url           = var.maintenance_url
  headers       = { Authorization = "Bearer ${var.maintenance_token}", "Content-Type" = "application/json" }
  body          = jsonencode({ enabled = false })
  expect_status = [200, 204]
  timeout       = "30s"
}

# One snapshot of the three systems, taken while the platform accepts no
# writes, so that the rows, the objects and the keys agree with each other.
backup "platform" {
  sources = [source.postgres.platform, source.s3.objects, source.redis.platform]
  target  = target.local.disk
  before  = [step.http.maintenance_on]
  finally = [step.http.maintenance_off]

  retention {
    keep_daily   = 14
    keep_weekly  = 8
    keep_monthly = 6
  }

  verify {
    checksums = true
  }
}

# Replaces all three with the snapshot's state, one system after the other
# (PostgreSQL, then the buckets, then Redis): a failure stops the rest and
# the error names what was restored, what failed and what was not touched.
# Maintenance is switched off in every case.
restore "platform" {
  from    = backup.platform
  sources = [source.postgres.platform, source.s3.objects, source.redis.platform]
  before  = [step.http.maintenance_on]
  finally = [step.http.maintenance_off]
}
