# NocoDB on PostgreSQL: its metadata database (NC_DB) and its data
# directory (uploaded attachments; noco.db if it once ran on SQLite),
# backed up nightly into an encrypted local repository, each snapshot
# copied to an S3 bucket offsite, 30 days kept in both places. A restore
# stops NocoDB first and always starts it again.
#
#   export VELIN_VAR_database_url=postgres://nocodb:secret@127.0.0.1:5432/nocodb   # NocoDB's NC_DB
#   export VELIN_VAR_s3_access_key=... VELIN_VAR_s3_secret_key=...
#   export VELIN_PASSPHRASE=...            # the local repository
#   export VELIN_OFFSITE_PASSPHRASE=...    # the S3 copy (may be the same)
#   velin -f nocodb.velin.hcl plan                  # server version, sizes, the S3 bucket checked
#   velin -f nocodb.velin.hcl apply                 # backup, verify, copy to S3, retention
#   velin -f nocodb.velin.hcl backup list           # TARGETS: local.disk, s3.offsite
#   velin -f nocodb.velin.hcl plan -restore nocodb  # what a restore would replace
#   velin -f nocodb.velin.hcl apply -restore nocodb
#
# When the server is lost: `velin backup download latest --from s3.offsite`
# on the new one, then the restore.

variable "database_url" {
  type        = string
  sensitive   = true
  description = "NocoDB's metadata database, its NC_DB (postgres://user:password@host:5432/db)"
}

variable "data_dir" {
  type        = string
  default     = "/srv/nocodb/data"
  description = "the host directory mounted at /usr/app/data in the NocoDB container"
}

variable "repo_dir" {
  type    = string
  default = "/var/backups/velin/nocodb"
}

variable "s3_endpoint" {
  type        = string
  default     = "https://s3.eu-central-1.amazonaws.com"
  description = "the offsite S3 server (http://host:9000 for MinIO)"
}

variable "s3_region" {
  type    = string
  default = "eu-central-1"
}

variable "s3_bucket" {
  type        = string
  default     = "nocodb-backups"
  description = "an existing bucket: velin does not create it"
}

variable "s3_access_key" {
  type      = string
  sensitive = true
}

variable "s3_secret_key" {
  type      = string
  sensitive = true
}

variable "nocodb_stop" {
  type    = list(string)
  default = ["docker", "stop", "nocodb"]
}

variable "nocodb_start" {
  type    = list(string)
  default = ["docker", "start", "nocodb"]
}

target "local" "disk" {
  path       = var.repo_dir
  passphrase = env("VELIN_PASSPHRASE")
}

target "s3" "offsite" {
  endpoint   = var.s3_endpoint
  region     = var.s3_region
  bucket     = var.s3_bucket
  prefix     = "velin/nocodb"
  access_key = var.s3_access_key
  secret_key = var.s3_secret_key
  passphrase = env("VELIN_OFFSITE_PASSPHRASE")
}

source "postgres" "nocodb" {
  dsn = var.database_url
}

source "files" "data" {
  paths   = [var.data_dir]
  exclude = ["*.tmp", "tmp/**"]
}

step "exec" "nocodb_stop" {
  command = var.nocodb_stop
  timeout = "2m"
}

step "exec" "nocodb_start" {
  command = var.nocodb_start
  timeout = "2m"
}

backup "nightly" {
  sources  = [source.postgres.nocodb, source.files.data]
  target   = target.local.disk
  strategy = "incremental"
  copy_to  = [target.s3.offsite]

  # The last snapshot of each of the last 30 days, here and offsite.
  retention {
    keep_daily = 30
  }

  retention {
    target     = target.s3.offsite
    keep_daily = 30
  }

  verify {
    checksums    = true
    test_restore = true
  }
}

# The database (replaced in one transaction) and the data directory, with
# NocoDB stopped; it starts again whatever happened.
restore "nocodb" {
  from    = backup.nightly
  sources = [source.postgres.nocodb, source.files.data]
  before  = [step.exec.nocodb_stop]
  finally = [step.exec.nocodb_start]
}
