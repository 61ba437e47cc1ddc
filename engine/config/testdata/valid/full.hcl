# Every engine block and argument, with variables, locals and functions.
variable "root" {
  type        = string
  default     = "/srv"
  description = "Where the data lives."
}

variable "keep" {
  type    = number
  default = 7
}

variable "excludes" {
  type    = list(string)
  default = ["*.tmp"]
}

variable "token" {
  type      = string
  default   = "default-token-value"
  sensitive = true
}

locals {
  site_dir = "${var.root}/site"
  name     = lower(trimspace("  Site  "))
  all      = concat(var.excludes, ["cache/**"])
  settings = jsondecode("{\"level\": 3}")
  header   = "Bearer ${var.token}"
}

locals {
  stamp = timestamp()
  label = format("%s-%d", local.name, local.settings.level)
}

source "files" "site" {
  paths   = [local.site_dir]
  exclude = local.all
}

source "sqlite" "app" {
  path = "${var.root}/app.db"
}

target "local" "disk" {
  path       = "./backups"
  passphrase = env("VELIN_PASSPHRASE")
}

step "exec" "before" {
  command = ["echo", local.label]
}

step "http" "ping" {
  url = "https://example.invalid/ping?from=velin"
}

backup "nightly" {
  sources    = [source.files.site, source.sqlite.app]
  target     = target.local.disk
  strategy   = "full"
  before     = [step.exec.before]
  after      = [step.http.ping]
  finally    = [step.exec.before]
  depends_on = [backup.db]

  retention {
    keep_last    = var.keep
    keep_hourly  = 24
    keep_daily   = 14
    keep_weekly  = 8
    keep_monthly = 12
    keep_yearly  = 3
    keep_within  = "2w"
  }

  verify {
    checksums = true
  }
}

backup "db" {
  sources = [source.sqlite.app]
  target  = target.local.disk
}

restore "site" {
  from       = backup.nightly
  sources    = [source.files.site]
  to         = "./restored"
  include    = ["docs/**", "*.html"]
  before     = [step.exec.before]
  after      = [step.http.ping]
  finally    = [step.exec.before]
  depends_on = [backup.nightly]
}
