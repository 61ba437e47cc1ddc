package http

import (
	"context"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/velinhq/velin/providers/provider"
)

// TypeName is the step type name in configurations.
const TypeName = "http"

// DefaultTimeout applies when timeout is not set.
const DefaultTimeout = 30 * time.Second

// bodyRead is how much of an unexpected response is read; bodyQuote is how
// much of it (secrets masked, HTML tags and runs of spaces removed) an error
// quotes.
const (
	bodyRead  = 8 << 10
	bodyQuote = 300
)

// Sentinel errors.
var (
	ErrStatus  = errors.New("unexpected status")
	ErrTimeout = errors.New("timed out")
)

// Type is the registry entry of `step "http"`.
func Type() provider.StepType {
	return provider.StepType{Name: TypeName, Decode: Decode}
}

type config struct {
	URL          string            `hcl:"url"`
	Method       string            `hcl:"method,optional"`
	Headers      map[string]string `hcl:"headers,optional"`
	Body         *string           `hcl:"body,optional"`
	ExpectStatus []int             `hcl:"expect_status,optional"`
	Timeout      string            `hcl:"timeout,optional"`
}

// Step sends one request.
type Step struct {
	URL          string
	Method       string
	Headers      map[string]string
	Body         *string
	ExpectStatus []int // empty: any 2xx
	Timeout      time.Duration
	// SecretURL is set when url uses a sensitive value: only its scheme
	// and host are ever shown.
	SecretURL bool
}

// Decode decodes a `step "http"` body.
func Decode(body hcl.Body, dc provider.DecodeContext) (provider.Step, hcl.Diagnostics) {
	var cfg config
	diags := gohcl.DecodeBody(body, dc.Eval, &cfg)
	if diags.HasErrors() {
		return nil, diags
	}
	s := &Step{URL: cfg.URL, Method: strings.ToUpper(cfg.Method), Headers: cfg.Headers, Body: cfg.Body,
		ExpectStatus: cfg.ExpectStatus, Timeout: DefaultTimeout}
	if s.Method == "" {
		s.Method = nethttp.MethodPost
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		diags = append(diags, provider.AttrDiag(body, "url", "Invalid url", "url must be an absolute http:// or https:// address."))
	}
	if !validToken(s.Method) {
		diags = append(diags, provider.AttrDiag(body, "method", "Invalid method", fmt.Sprintf("%q is not an HTTP method.", cfg.Method)))
	}
	for _, code := range cfg.ExpectStatus {
		if code < 100 || code > 599 {
			diags = append(diags, provider.AttrDiag(body, "expect_status", "Invalid status", fmt.Sprintf("%d is not an HTTP status code (100-599).", code)))
		}
	}
	timeout, d := provider.TimeoutArg(body, "timeout", cfg.Timeout, DefaultTimeout)
	diags = append(diags, d...)
	s.Timeout = timeout
	registerSecrets(s, u, dc.Secret)
	s.SecretURL = sensitiveURL(body, dc)
	if diags.HasErrors() {
		return nil, diags
	}
	return s, diags
}

func registerSecrets(s *Step, u *url.URL, secret func(string)) {
	if secret == nil {
		return
	}
	if u != nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			secret(p)
		}
	}
	for name, v := range s.Headers {
		up := strings.ToUpper(name)
		for _, w := range []string{"AUTHORIZATION", "TOKEN", "SECRET", "KEY", "PASSWORD", "COOKIE"} {
			if strings.Contains(up, w) {
				secret(v)
				if _, cred, ok := strings.Cut(v, " "); ok {
					secret(cred) // "Bearer xyz": xyz alone is secret too
				}
				break
			}
		}
	}
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// Describe implements provider.Step: "METHOD URL", password redacted; for
// a url that uses a sensitive value, only its scheme and host.
func (s *Step) Describe() string {
	return s.Method + " " + s.shownURL()
}

func (s *Step) shownURL() string {
	if !s.SecretURL {
		return redactedURL(s.URL)
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return "(sensitive url)"
	}
	return u.Scheme + "://" + u.Host + "/(sensitive)"
}

// sensitiveURL says whether the url argument uses a sensitive value.
func sensitiveURL(body hcl.Body, dc provider.DecodeContext) bool {
	if dc.Sensitive == nil {
		return false
	}
	attrs, diags := body.JustAttributes()
	if diags.HasErrors() {
		return false
	}
	a, ok := attrs["url"]
	return ok && dc.Sensitive(a.Expr)
}

func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid url)"
	}
	return u.Redacted()
}

// Run implements provider.Step.
func (s *Step) Run(ctx context.Context, env provider.StepEnv) error {
	ctx, cancel := context.WithTimeoutCause(ctx, s.Timeout, ErrTimeout)
	defer cancel()
	what := s.Describe()
	var body io.Reader
	if s.Body != nil {
		body = strings.NewReader(*s.Body)
	}
	req, err := nethttp.NewRequestWithContext(ctx, s.Method, s.URL, body)
	if err != nil {
		return fmt.Errorf("http %s: %w", what, err)
	}
	for k, v := range s.Headers {
		req.Header.Set(k, v)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "velin")
	}
	resp, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		if errors.Is(context.Cause(ctx), ErrTimeout) {
			return fmt.Errorf("http %s: %w after %s", what, ErrTimeout, s.Timeout)
		}
		return fmt.Errorf("http %s: %w", what, scrub(err, s.URL, s.shownURL()))
	}
	defer resp.Body.Close()
	if env.Log != nil {
		fmt.Fprintf(env.Log, "%s: %s\n", what, resp.Status)
	}
	if !s.expected(resp.StatusCode) {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, bodyRead))
		return fmt.Errorf("http %s: %w %s%s", what, ErrStatus, resp.Status, quoteBody(b, env.Redact))
	}
	return nil
}

// scrub replaces the raw URL (which may hold a password), as written and as
// the client prints it, in a client error with how it is shown.
func scrub(err error, raw, shown string) error {
	msg := strings.ReplaceAll(err.Error(), raw, shown)
	if u, perr := url.Parse(raw); perr == nil {
		msg = strings.ReplaceAll(msg, u.Redacted(), shown)
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

func (s *Step) expected(code int) bool {
	if len(s.ExpectStatus) == 0 {
		return code >= 200 && code <= 299
	}
	return slices.Contains(s.ExpectStatus, code)
}

// quoteBody is what an error shows of a response body: ": " and the text,
// secrets masked first, then HTML tags dropped, spaces collapsed and the
// whole cut to bodyQuote bytes; "" for an empty body.
func quoteBody(b []byte, redact func(string) string) string {
	if !utf8.Valid(b) {
		return fmt.Sprintf(": (%d bytes of binary body)", len(b))
	}
	text := string(b)
	if redact != nil {
		text = redact(text)
	}
	text = strings.Join(strings.Fields(stripTags(text)), " ")
	if text == "" {
		return ""
	}
	if len(text) > bodyQuote {
		n := bodyQuote
		for n > 0 && !utf8.RuneStart(text[n]) {
			n--
		}
		text = text[:n] + " … (cut)"
	}
	return ": " + text
}

// stripTags removes <…> tags and the content of <script> and <style>, so an
// HTML error page reads as its text.
func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	for _, el := range []string{"script", "style"} {
		for {
			i := strings.Index(strings.ToLower(s), "<"+el)
			if i < 0 {
				break
			}
			j := strings.Index(strings.ToLower(s[i:]), "</"+el+">")
			if j < 0 {
				s = s[:i]
				break
			}
			s = s[:i] + " " + s[i+j+len(el)+3:]
		}
	}
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}
