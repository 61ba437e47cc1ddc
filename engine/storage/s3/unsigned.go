package s3

import (
	"context"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// unsignedPayload is the payload hash SigV4 signs in place of the body's
// SHA-256.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// unsignedBody makes a write of a repository object sign UNSIGNED-PAYLOAD
// instead of the body's SHA-256. Over https the SDK already does (with a
// trailing CRC32); over plain http it would hash every byte with SHA-256
// on top of the CRC32 it sends, and the server would hash it again to
// check: on a pack of 16 MiB that is most of the client's cost of a Put
// besides the copy. Nothing is lost: the body still carries its CRC32
// header, which the server checks, and every repository object is sealed
// (authenticated encryption, packs named by their hash), so a body changed
// on the way fails when read, as a response changed on the way already
// would (responses are never signed). Objects of the bucket source
// (PutObject) keep the signed body: they are the user's plain data.
func unsignedBody(o *awss3.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("velinUnsignedPayload",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
				middleware.FinalizeOutput, middleware.Metadata, error,
			) {
				return next.HandleFinalize(v4.SetPayloadHash(ctx, unsignedPayload), in)
			}), middleware.Before)
	})
}

// bodyOptions are the client options of a write of a repository object
// (sealed true) or of a bucket source's object.
func bodyOptions(sealed bool) []func(*awss3.Options) {
	if sealed {
		return []func(*awss3.Options){unsignedBody}
	}
	return nil
}
