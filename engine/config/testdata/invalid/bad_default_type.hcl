# A default that does not fit the declared type.
variable "keep" {
  type    = number
  default = "many"
}
# expect: bad_default_type.hcl:4:13: Invalid value for variable; The value from default for variable "keep" is not a valid number: a number is required.
