package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/velinhq/velin/engine/config"
)

// email sends a plain-text mail over SMTP, always with STARTTLS (a server
// that does not offer it is an error), through github.com/wneessen/go-mail.
type email struct {
	n    *config.Notify
	opts []mail.Option
}

func newEmail(n *config.Notify, _ Env) (Notifier, error) {
	tc := &tls.Config{ServerName: n.Host, MinVersion: tls.VersionTLS12}
	if n.CAFile != "" {
		pem, err := os.ReadFile(n.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s: read ca_file: %w", n.Addr(), err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: ca_file %s holds no PEM certificate", n.Addr(), n.CAFile)
		}
	}
	opts := []mail.Option{mail.WithPort(n.Port), mail.WithTLSPolicy(mail.TLSMandatory), mail.WithTLSConfig(tc)}
	if n.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(n.Username), mail.WithPassword(n.Password))
	}
	return &email{n: n, opts: opts}, nil
}

func (e *email) Send(ctx context.Context, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(e.n.From); err != nil {
		return fmt.Errorf("%s: from: %w", e.n.Addr(), err)
	}
	if err := msg.To(e.n.To...); err != nil {
		return fmt.Errorf("%s: to: %w", e.n.Addr(), err)
	}
	msg.Subject(m.Title())
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(mail.TypeTextPlain, emailBody(m))
	opts := e.opts
	if dl, ok := ctx.Deadline(); ok { // bounds the whole conversation, not only the dial
		opts = append(opts[:len(opts):len(opts)], mail.WithTimeout(time.Until(dl)))
	}
	c, err := mail.NewClient(e.n.Host, opts...)
	if err != nil {
		return fmt.Errorf("%s: %w", e.n.Addr(), err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("%s: send: %s", e.n.Addr(), scrub(err.Error(), e.n.Password))
	}
	return nil
}

func emailBody(m Message) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", m.Summary)
	for _, f := range [][2]string{{"Block", m.Block}, {"Plan", m.Plan}, {"Host", m.Host}, {"Snapshot", m.Snapshot},
		{"Started", stamp(m.Started)}, {"Finished", stamp(m.Finished)}, {"Error", m.Error}} {
		if f[1] != "" {
			fmt.Fprintf(&b, "%-9s %s\n", f[0]+":", f[1])
		}
	}
	return b.String()
}

// scrub masks the password in a library error (a defence in depth: the
// caller redacts every configured secret too).
func scrub(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "(sensitive)")
}
