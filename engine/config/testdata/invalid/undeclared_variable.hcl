# A reference to a variable that is not declared.
variable "site_dir" {
  default = "./site"
}
source "files" "site" {
  paths = [var.sitedir]
}
# expect: undeclared_variable.hcl:6:12: Reference to undeclared variable; There is no variable named "sitedir". Did you mean "site_dir"? Declare it with a variable "sitedir" block.
