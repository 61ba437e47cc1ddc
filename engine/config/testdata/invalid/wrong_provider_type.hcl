# A string where the provider expects a list.
source "files" "site" {
  paths = "./site"
}
# expect: wrong_provider_type.hcl:3:12: Unsuitable value type; Unsuitable value: list of string required, but have string
