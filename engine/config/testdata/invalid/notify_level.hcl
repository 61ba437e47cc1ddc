# A wrong notify_level, a notify reference of the wrong kind, an unknown kind.
source "files" "site" {
  paths = ["./site"]
}
target "local" "disk" {
  path = "./backups"
}
notify "webhok" "ops" {
  url = "https://hooks.example.com/velin"
}
notify "webhook" "ops" {
  url = "hooks.example.com/velin"
}
notify "email" "oncall" {
  host = "smtp.example.com"
  from = "velin@example.com"
  to   = []
}
backup "nightly" {
  sources      = [source.files.site]
  target       = target.local.disk
  notify       = [notify.webhook.opz, target.local.disk]
  notify_level = "error"
}
# expect: notify_level.hcl:8:8: Unknown notify kind; There is no notify kind "webhok". Did you mean "webhook"? Known kinds: "webhook", "email", "teams" and "slack".
# expect: notify_level.hcl:12:9: Invalid notify URL; url must be an http:// or https:// address (its value is not shown: it may hold a token).
# expect: notify_level.hcl:17:10: Empty to; "to" is empty: an email needs at least one recipient, like ["ops@example.com"].
# expect: notify_level.hcl:22:19: Reference to undeclared notify; There is no notify declared as notify.webhook.opz. Did you mean "notify.webhook.ops"? Declared notify blocks: notify.email.oncall, notify.webhok.ops, notify.webhook.ops.
# expect: notify_level.hcl:22:39: Wrong kind of reference; The "notify" argument takes references to notify blocks, like notify.webhook.ops; target.local.disk is a target.
# expect: notify_level.hcl:23:18: Invalid notify_level; notify_level must be "errors", "warnings" or "all", not "error". Did you mean "errors"?
