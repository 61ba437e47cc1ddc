# A name that cannot be referenced.
source "files" "my site" {
  paths = ["./site"]
}
# expect: invalid_label.hcl:2:16: Invalid block label; "my site" is not a valid name: use letters, digits, underscores and dashes, starting with a letter or underscore.
