// Package notify sends alerts about finished backups and restores: one
// Notifier per kind of notify block (webhook, email, teams, slack), listed
// in Kinds, and Deliver, which retries a failed send a bounded number of
// times within a bounded time.
//
// A notification that cannot be sent never fails the run that caused it:
// callers log the error and go on. Errors never quote a notify block's
// secrets (endpoint URLs hold tokens; SMTP passwords; HMAC keys).
//
// The JSON a webhook receives (Message) is versioned by its "schema"
// field and documented in docs/notifications.md.
package notify
