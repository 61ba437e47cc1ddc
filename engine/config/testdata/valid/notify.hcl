variable "smtp_password" {
  type      = string
  sensitive = true
  default   = "correct-horse-battery"
}
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
notify "webhook" "ops" {
  url    = "https://hooks.example.com/velin"
  secret = "hmac-secret-value"
}
notify "email" "oncall" {
  host     = "smtp.example.com"
  port     = 587
  username = "velin"
  password = var.smtp_password
  from     = "velin@example.com"
  to       = ["oncall@example.com"]
}
notify "teams" "channel" {
  url = "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=token"
}
notify "slack" "alerts" {
  url = "https://hooks.slack.com/services/T000/B000/XXXX"
}
backup "nightly" {
  sources      = [source.files.site]
  target       = target.local.disk
  notify       = [notify.webhook.ops, notify.email.oncall, notify.teams.channel, notify.slack.alerts]
  notify_level = "warnings"
}
restore "site" {
  from   = backup.nightly
  to     = "./restored"
  notify = [notify.webhook.ops]
}
