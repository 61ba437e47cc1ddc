# A misspelt provider argument: the provider's schema rejects it.
source "files" "site" {
  pathz = ["./site"]
}
# expect: unknown_argument.hcl:2:23: Missing required argument; The argument "paths" is required, but no definition was found.
# expect: unknown_argument.hcl:3:3: Unsupported argument; An argument named "pathz" is not expected here. Did you mean "paths"?
