// Package bucket is `source "s3"`: the objects of S3 buckets (Amazon S3,
// MinIO and other S3-compatible servers) backed up and restored.
//
//	source "s3" "objects" {
//	  endpoint   = "http://127.0.0.1:9000"
//	  buckets    = ["templates", "userdata"]   # or ["*"]
//	  exclude    = ["artifacts", "demo-*", "userdata/tmp/**"]
//	  access_key = env("MINIO_ROOT_USER")      # sensitive
//	  secret_key = env("MINIO_ROOT_PASSWORD")  # sensitive
//	  mode       = "replace"                   # or "merge"
//	}
//
// Each bucket is a directory entry and each object a file entry
// BUCKET/KEY, its key escaped where it cannot be a path as it is (see
// encodeKey), its content type, other content headers, user metadata and
// tags in the entry's Meta with its ETag. Contents stream from GetObject
// into the repository and back into PutObject (multipart above 32 MiB),
// through the client and upload code of engine/storage/s3. The facts'
// ServerVersion is what the server says of itself (serverVersion: the
// Server header, and MinIO's release from its admin API when allowed).
package bucket
