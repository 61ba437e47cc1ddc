# A Django application on PostgreSQL that publishes sites as files: the
# database, the published-sites directory and (in a backup of their own)
# the logs, in an encrypted local repository. A restore stops the workers
# first, runs the migrations after, and always starts the workers again.
#
#   export VELIN_VAR_app_database_url=postgres://app:secret@127.0.0.1:5432/app   # or -var, or -var-file
#   export VELIN_PASSPHRASE=...
#   velin -f django-postgres-sites.velin.hcl plan                 # live facts: server, pg_dump chosen, sizes
#   velin -f django-postgres-sites.velin.hcl apply                # backup "nightly" (and its retention)
#   velin -f django-postgres-sites.velin.hcl apply -backup logs   # the logs, when you want them
#   velin -f django-postgres-sites.velin.hcl plan -restore site   # what a restore would drop and replace
#   velin -f django-postgres-sites.velin.hcl apply -restore site

variable "app_database_url" {
  type        = string
  sensitive   = true
  description = "the application's PostgreSQL DSN (postgres://user:password@host:5432/db)"
}

variable "app_dir" {
  type        = string
  default     = "/srv/app"
  description = "the Django project (manage.py)"
}

variable "sites_dir" {
  type    = string
  default = "/srv/app/published"
}

variable "logs_dir" {
  type    = string
  default = "/var/log/app"
}

variable "repo_dir" {
  type    = string
  default = "/var/backups/velin/app"
}

variable "python" {
  type        = string
  default     = "python3"
  description = "the interpreter of the application's virtualenv"
}

variable "workers_stop" {
  type    = list(string)
  default = ["systemctl", "stop", "app-workers.target"]
}

variable "workers_start" {
  type    = list(string)
  default = ["systemctl", "start", "app-workers.target"]
}

target "local" "disk" {
  path       = var.repo_dir
  passphrase = env("VELIN_PASSPHRASE")
}

source "postgres" "app" {
  dsn                = var.app_database_url
  exclude_table_data = ["public.django_session"]
}

source "files" "sites" {
  paths   = [var.sites_dir]
  exclude = ["*.tmp", ".cache/**"]
}

source "files" "logs" {
  paths = [var.logs_dir]
}

step "exec" "workers_stop" {
  command = var.workers_stop
  timeout = "2m"
}

step "exec" "workers_start" {
  command = var.workers_start
  timeout = "2m"
}

step "exec" "migrate" {
  command     = [var.python, "manage.py", "migrate", "--noinput"]
  working_dir = var.app_dir
  env         = { DATABASE_URL = var.app_database_url }
  timeout     = "10m"
}

backup "nightly" {
  sources  = [source.postgres.app, source.files.sites]
  target   = target.local.disk
  strategy = "incremental"

  retention {
    keep_daily   = 14
    keep_weekly  = 8
    keep_monthly = 12
  }

  verify {
    checksums    = true
    test_restore = true
    assert "migrations" {
      source = source.postgres.app
      sql    = "SELECT count(*) > 0 FROM django_migrations"
    }
  }
}

# Optional: the logs, in their own snapshots (apply -backup logs).
backup "logs" {
  sources = [source.files.logs]
  target  = target.local.disk

  retention {
    keep_daily = 7
  }
}

# The database and the published sites as they were, with the workers
# stopped; the migrations run after the restore (the code may be newer than
# the snapshot's schema), and the workers start again even if it fails.
restore "site" {
  from    = backup.nightly
  sources = [source.postgres.app, source.files.sites]
  before  = [step.exec.workers_stop]
  after   = [step.exec.migrate]
  finally = [step.exec.workers_start]
}
