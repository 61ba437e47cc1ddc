// Package http is the `step "http"` provider: one HTTP request, such as a
// health-check ping or a webhook, before, after or finally around a backup
// or restore.
//
// Header values of Authorization (and of any header whose name contains
// TOKEN, SECRET, KEY or PASSWORD) and the password of a URL's userinfo are
// registered as secrets. Describe shows "METHOD URL" with the password
// redacted. A status outside expect_status (default: any 2xx) is an error
// quoting the start of the response body.
package http
