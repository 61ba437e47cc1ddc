# The smallest useful plan: no variables, no hooks, defaults everywhere.
source "files" "data" {
  paths = ["./data"]
}
target "local" "disk" {
  path = "/var/backups/velin"
}
backup "data" {
  sources = [source.files.data]
  target  = target.local.disk
}
restore "data" {
  from = backup.data
}
