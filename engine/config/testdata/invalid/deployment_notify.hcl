# A deployment's notify list names an undeclared notify block; its level is misspelt.
target "local" "disk" {
  path = "./backups"
}
notify "webhook" "ops" {
  url = "https://hooks.example.com/velin"
}
deployment "api" {
  root         = "/srv/api"
  artifacts    = ["./build"]
  target       = target.local.disk
  notify       = [notify.webhook.opz]
  notify_level = "warning"
}
# expect: deployment_notify.hcl:12:19: Reference to undeclared notify; There is no notify declared as notify.webhook.opz. Did you mean "notify.webhook.ops"? Declared notify blocks: notify.webhook.ops.
# expect: deployment_notify.hcl:13:18: Invalid notify_level; notify_level must be "errors", "warnings" or "all", not "warning". Did you mean "warnings"?
