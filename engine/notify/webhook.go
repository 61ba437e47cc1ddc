package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/velinhq/velin/engine/config"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body,
// keyed with the block's secret, when it has one.
const SignatureHeader = "X-Velin-Signature"

// webhook posts Message as JSON to any HTTP endpoint.
type webhook struct {
	poster
	secret []byte
}

func newWebhook(n *config.Notify, env Env) (Notifier, error) {
	return &webhook{poster: poster{addr: n.Addr(), url: n.URL, client: env.HTTP}, secret: []byte(n.Secret)}, nil
}

func (w *webhook) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("%s: encode: %w", w.addr, err)
	}
	headers := map[string]string{}
	if len(w.secret) > 0 {
		headers[SignatureHeader] = Sign(w.secret, body)
	}
	return w.postRaw(ctx, body, headers)
}

// Sign is the signature header's value for body: what a receiver computes
// to check it.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
