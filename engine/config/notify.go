package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// NotifyKinds are the kinds of notify block, in the order docs list them.
// engine/notify has one Notifier per kind.
var NotifyKinds = []string{"webhook", "email", "teams", "slack"}

// NotifyLevels are the values notify_level accepts: "errors" sends only
// failures, "warnings" also partial runs, "all" also successes.
var NotifyLevels = []string{"errors", "warnings", "all"}

// Notify is a `notify "<kind>" "<name>"` block: where to send alerts.
// URL, Secret and Password are secrets (registered in Config.Secrets).
type Notify struct {
	Kind, Name string
	URL        string // webhook, slack, teams: the endpoint (its path holds a token)
	Secret     string // webhook: HMAC-SHA256 key for the signature header; "" = unsigned
	// Email over SMTP with STARTTLS (always required).
	Host     string
	Port     int // default 587
	Username string
	Password string
	From     string
	To       []string
	CAFile   string // absolute; "" = the system's roots
	// DeclRange is where the block is declared.
	DeclRange hcl.Range
}

// Addr is the block's address, "notify.<kind>.<name>".
func (n *Notify) Addr() string { return "notify." + n.Kind + "." + n.Name }

// notifySchemas is each kind's body.
var notifySchemas = map[string]*hcl.BodySchema{
	"webhook": {Attributes: []hcl.AttributeSchema{{Name: "url", Required: true}, {Name: "secret"}}},
	"slack":   {Attributes: []hcl.AttributeSchema{{Name: "url", Required: true}}},
	"teams":   {Attributes: []hcl.AttributeSchema{{Name: "url", Required: true}}},
	"email": {Attributes: []hcl.AttributeSchema{
		{Name: "host", Required: true}, {Name: "port"}, {Name: "username"}, {Name: "password"},
		{Name: "from", Required: true}, {Name: "to", Required: true}, {Name: "ca_file"},
	}},
}

// decodeNotify decodes a notify block; it is added to the Config only when
// it has no errors.
func (l *loader) decodeNotify(blk *hcl.Block) hcl.Diagnostics {
	if !l.isFirst(blk) {
		return nil
	}
	kind := blk.Labels[0]
	schema, ok := notifySchemas[kind]
	if !ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown notify kind",
			Detail:   fmt.Sprintf("There is no notify kind %q.%s Known kinds: %s.", kind, didYouMean(kind, NotifyKinds), quotedList(NotifyKinds, "and")),
			Subject:  blk.LabelRanges[0].Ptr(),
		}}
	}
	n := &Notify{Kind: kind, Name: blk.Labels[1], Port: 587, DeclRange: blk.DefRange}
	content, diags := blk.Body.Content(schema)
	attrs := content.Attributes
	diags = append(diags, l.notifyString(attrs["url"], &n.URL, true)...)
	diags = append(diags, l.notifyString(attrs["secret"], &n.Secret, true)...)
	diags = append(diags, l.notifyString(attrs["password"], &n.Password, true)...)
	for name, out := range map[string]*string{"host": &n.Host, "username": &n.Username, "from": &n.From, "ca_file": &n.CAFile} {
		diags = append(diags, l.notifyString(attrs[name], out, false)...)
	}
	if attr := attrs["port"]; attr != nil {
		diags = append(diags, l.evalInt(attr, &n.Port)...)
	}
	if attr := attrs["to"]; attr != nil {
		diags = append(diags, l.notifyTo(attr, &n.To)...)
	}
	if n.CAFile != "" && !filepath.IsAbs(n.CAFile) {
		n.CAFile = filepath.Join(l.cfg.Dir, n.CAFile)
	}
	if attr := attrs["url"]; attr != nil && !diags.HasErrors() {
		diags = append(diags, checkNotifyURL(kind, n.URL, attr)...)
	}
	if !diags.HasErrors() {
		l.cfg.Notifies[n.Addr()] = n
	}
	return diags
}

// notifyString evaluates an optional string attribute; a secret one is
// registered for redaction.
func (l *loader) notifyString(attr *hcl.Attribute, out *string, secret bool) hcl.Diagnostics {
	if attr == nil {
		return nil
	}
	val, diags, ok := l.evalAttr(attr, cty.String)
	if !ok {
		return diags
	}
	*out = val.AsString()
	if secret {
		l.cfg.Secrets = append(l.cfg.Secrets, *out)
	}
	if *out == "" {
		return hcl.Diagnostics{emptyList(attr, "give a value or leave the argument out")}
	}
	return nil
}

func (l *loader) notifyTo(attr *hcl.Attribute, out *[]string) hcl.Diagnostics {
	val, diags, ok := l.evalAttr(attr, cty.List(cty.String))
	if !ok {
		return diags
	}
	for _, v := range val.AsValueSlice() {
		*out = append(*out, v.AsString())
	}
	if len(*out) == 0 {
		return hcl.Diagnostics{emptyList(attr, `an email needs at least one recipient, like ["ops@example.com"]`)}
	}
	return nil
}

// checkNotifyURL checks an endpoint's form without ever quoting it (its
// path holds a token). Teams' Office 365 connector URLs are retired.
func checkNotifyURL(kind, raw string, attr *hcl.Attribute) hcl.Diagnostics {
	u, err := url.Parse(raw)
	bad := func(summary, detail string) hcl.Diagnostics {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: attr.Expr.Range().Ptr()}}
	}
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return bad("Invalid notify URL", "url must be an http:// or https:// address (its value is not shown: it may hold a token).")
	}
	if kind == "teams" && retiredTeamsURL(u) {
		return bad("Retired Teams connector URL",
			"This is an Office 365 connector webhook (webhook.office.com or outlook.office.com), which Microsoft has retired. "+
				"In Teams, add the \"Post to a channel when a webhook request is received\" workflow (Power Automate) and use the URL it gives.")
	}
	return nil
}

func retiredTeamsURL(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	connectorHost := strings.HasSuffix(host, ".webhook.office.com") || host == "outlook.office.com" || host == "outlook.office365.com"
	return connectorHost && (strings.Contains(u.Path, "/webhook") || strings.Contains(u.Path, "/IncomingWebhook/"))
}

// notifyAttach decodes notify and notify_level, the arguments by which a
// backup or restore sends alerts.
func (l *loader) notifyAttach(attrs hcl.Attributes, refs *[]Ref, level *string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	*level = "errors"
	if attr, ok := attrs["notify"]; ok {
		*refs, diags = l.refList(attr, "notify")
	}
	attr, ok := attrs["notify_level"]
	if !ok {
		return diags
	}
	val, d, ok := l.evalAttr(attr, cty.String)
	if !ok {
		return append(diags, d...)
	}
	s := val.AsString()
	if !contains(NotifyLevels, s) {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid notify_level",
			Detail:   fmt.Sprintf("notify_level must be %s, not %q.%s", quotedList(NotifyLevels, "or"), s, didYouMean(s, NotifyLevels)),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	*level = s
	return diags
}
