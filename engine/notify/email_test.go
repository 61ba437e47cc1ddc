package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/velinhq/velin/engine/config"
	"github.com/velinhq/velin/providers/dbtest"
)

// mailbox is a real SMTP server on 127.0.0.1 (go-smtp), offering STARTTLS
// with a test certificate and PLAIN authentication after it.
type mailbox struct {
	addr        string
	requireAuth bool // only with TLS: PLAIN is never offered in clear text
	mu          sync.Mutex
	mails       []received
}

type received struct {
	user, from string
	to         []string
	data       string
	tls        bool
}

const smtpUser, smtpPassword = "velin", "smtp-password-not-printed"

// newMailbox starts the server; withTLS false makes one that does not
// offer STARTTLS.
func newMailbox(t *testing.T, certs dbtest.Certs, withTLS bool) *mailbox {
	t.Helper()
	mb := &mailbox{requireAuth: withTLS}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{mb: mb, conn: c}, nil }))
	s.Domain = "localhost"
	if withTLS {
		pair, err := tls.LoadX509KeyPair(certs.Cert, certs.Key)
		if err != nil {
			t.Fatal(err)
		}
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = l.Addr().String()
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return mb
}

func (mb *mailbox) all() []received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]received(nil), mb.mails...)
}

// notifyBlock is an email block for the mailbox, trusting the test CA.
func (mb *mailbox) notifyBlock(t *testing.T, certs dbtest.Certs, password string) *config.Notify {
	host, port, _ := net.SplitHostPort(mb.addr)
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return &config.Notify{Kind: "email", Name: "oncall", Host: host, Port: p, Username: smtpUser, Password: password,
		From: "velin@example.com", To: []string{"oncall@example.com", "dba@example.com"}, CAFile: certs.CA}
}

type session struct {
	mb   *mailbox
	conn *smtp.Conn
	cur  received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != smtpUser || pass != smtpPassword {
			return errors.New("invalid credentials")
		}
		s.cur.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.cur.user == "" && s.mb.requireAuth {
		return smtp.ErrAuthRequired
	}
	s.cur.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.mb.mu.Lock()
	s.mb.mails = append(s.mb.mails, s.cur)
	s.mb.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{user: s.cur.user} }
func (s *session) Logout() error { return nil }

func TestEmailOverSTARTTLS(t *testing.T) {
	certs := dbtest.NewCerts(t)
	mb := newMailbox(t, certs, true)
	n := mustNew(t, mb.notifyBlock(t, certs, smtpPassword))
	if err := n.Send(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	mails := mb.all()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	m := mails[0]
	if !m.tls || m.user != smtpUser || m.from != "velin@example.com" || len(m.to) != 2 {
		t.Errorf("mail %+v", m)
	}
	for _, want := range []string{"Subject: velin: backup.nightly failed on db1", "permission denied", "Plan:", "/etc/velin"} {
		if !strings.Contains(m.data, want) {
			t.Errorf("mail lacks %q:\n%s", want, m.data)
		}
	}
	if strings.Contains(m.data, smtpPassword) {
		t.Error("the mail holds the password")
	}
}

func TestEmailRefusesServerWithoutSTARTTLS(t *testing.T) {
	certs := dbtest.NewCerts(t)
	mb := newMailbox(t, certs, false)
	blk := mb.notifyBlock(t, certs, smtpPassword)
	blk.Username = "" // so only the TLS policy can refuse
	if err := mustNew(t, blk).Send(context.Background(), sample()); err == nil {
		t.Fatal("sent a mail without STARTTLS")
	}
	if len(mb.all()) != 0 {
		t.Error("the server received a mail in clear text")
	}
}

func TestEmailRefusesUntrustedCertificate(t *testing.T) {
	certs := dbtest.NewCerts(t)
	mb := newMailbox(t, certs, true)
	blk := mb.notifyBlock(t, certs, smtpPassword)
	blk.CAFile = dbtest.NewCerts(t).CA // another CA
	if err := mustNew(t, blk).Send(context.Background(), sample()); err == nil {
		t.Fatal("trusted a certificate of another CA")
	}
	if len(mb.all()) != 0 {
		t.Error("mail delivered over an untrusted connection")
	}
}

func TestEmailWrongPasswordHidden(t *testing.T) {
	certs := dbtest.NewCerts(t)
	mb := newMailbox(t, certs, true)
	wrong := "wrong-password-not-printed"
	err := mustNew(t, mb.notifyBlock(t, certs, wrong)).Send(context.Background(), sample())
	if err == nil {
		t.Fatal("sent with a wrong password")
	}
	if strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "notify.email.oncall") {
		t.Errorf("error %q", err)
	}
}
