# A reference to a local that is not declared.
locals {
  root = "/srv"
}
source "files" "site" {
  paths = ["${local.roots}/site"]
}
# expect: undeclared_local.hcl:6:15: Reference to undeclared local value; There is no local value named "roots". Did you mean "root"? Define it in a locals block: roots = ….
