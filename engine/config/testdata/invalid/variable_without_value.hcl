# A variable with no default, and no value given.
variable "site_dir" {
  type = string
}
source "files" "site" {
  paths = [var.site_dir]
}
# expect: variable_without_value.hcl:2:1: No value for required variable; Variable "site_dir" has no default and no value was given. Set it with -var 'site_dir=…', in a -var-file, or with the environment variable VELIN_VAR_site_dir; or give it a default.
