// Package s3 is `target "s3"`: a repository in a bucket of Amazon S3 or an
// S3-compatible server (MinIO…), stored through engine/storage/s3.
//
//	target "s3" "offsite" {
//	  endpoint   = "http://127.0.0.1:9000"   # empty: AWS's endpoint for region
//	  region     = "us-east-1"
//	  bucket     = "acme-backups"
//	  prefix     = "velin/prod"
//	  path_style = true                      # default: for IP and localhost endpoints
//	  access_key = env("S3_ACCESS_KEY")      # both omitted: the SDK's default chain
//	  secret_key = env("S3_SECRET_KEY")
//	  passphrase = env("VELIN_PASSPHRASE")   # and key_file, encryption, compression
//	}
//
// The repository settings are decoded by providers/reposettings, as for
// every target. Open checks the bucket, so `velin plan` reports a missing
// bucket, refused credentials and an unreachable endpoint with the fix.
package s3
