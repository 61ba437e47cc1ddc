# Two variables with the same name.
variable "dir" {
  default = "a"
}
variable "dir" {
  default = "b"
}
# expect: duplicate_variable.hcl:5:1: Duplicate variable; variable "dir" is already declared at testdata/invalid/duplicate_variable.hcl:2:1. Rename one of them: names must be unique.
