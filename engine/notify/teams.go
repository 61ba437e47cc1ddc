package notify

import (
	"context"

	"github.com/velinhq/velin/engine/config"
)

// teams posts an Adaptive Card to a Teams Workflows (Power Automate)
// webhook, the "Post to a channel when a webhook request is received"
// flow. The retired Office 365 connector URLs are refused by config.
type teams struct{ poster }

func newTeams(n *config.Notify, env Env) (Notifier, error) {
	return &teams{poster{addr: n.Addr(), url: n.URL, client: env.HTTP}}, nil
}

// The envelope the Workflows trigger expects: a message whose attachments
// are Adaptive Cards.
type teamsBody struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string `json:"contentType"`
	Content     card   `json:"content"`
}

type card struct {
	Schema  string        `json:"$schema"`
	Type    string        `json:"type"`
	Version string        `json:"version"`
	Body    []cardElement `json:"body"`
}

type cardElement struct {
	Type   string     `json:"type"`
	Text   string     `json:"text,omitempty"`
	Weight string     `json:"weight,omitempty"`
	Size   string     `json:"size,omitempty"`
	Color  string     `json:"color,omitempty"`
	Wrap   bool       `json:"wrap,omitempty"`
	Facts  []cardFact `json:"facts,omitempty"`
}

type cardFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

func (t *teams) Send(ctx context.Context, m Message) error {
	return t.post(ctx, teamsBody{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive",
		Content:     adaptiveCard(m),
	}}}, nil)
}

func adaptiveCard(m Message) card {
	color := map[string]string{LevelError: "Attention", LevelWarning: "Warning"}[m.Level]
	body := []cardElement{
		{Type: "TextBlock", Text: m.Title(), Weight: "Bolder", Size: "Medium", Color: color, Wrap: true},
		{Type: "TextBlock", Text: m.Summary, Wrap: true},
	}
	var facts []cardFact
	for _, f := range [][2]string{{"Plan", m.Plan}, {"Snapshot", m.Snapshot}, {"Error", m.Error}} {
		if f[1] != "" {
			facts = append(facts, cardFact{Title: f[0], Value: f[1]})
		}
	}
	if len(facts) > 0 {
		body = append(body, cardElement{Type: "FactSet", Facts: facts})
	}
	return card{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4", Body: body}
}
