package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// poster sends JSON bodies to an endpoint whose URL is a secret: its
// errors name the block, never the URL.
type poster struct {
	addr   string // "notify.slack.alerts", for errors
	url    string
	client *http.Client
}

// post sends body as JSON with the extra headers; any 2xx is success.
func (p poster) post(ctx context.Context, body any, headers map[string]string) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("%s: encode: %w", p.addr, err)
	}
	return p.postRaw(ctx, data, headers)
}

func (p poster) postRaw(ctx context.Context, data []byte, headers map[string]string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: invalid url", p.addr)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "velin")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: post: %w", p.addr, withoutURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s: the receiver answered %s", p.addr, resp.Status)
	}
	return nil
}

// withoutURL strips the request URL (which holds a token) from a client
// error, keeping its cause.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
