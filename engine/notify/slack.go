package notify

import (
	"context"

	"github.com/velinhq/velin/engine/config"
)

// slack posts to a Slack incoming webhook: a text fallback and a block
// with the details.
type slack struct{ poster }

func newSlack(n *config.Notify, env Env) (Notifier, error) {
	return &slack{poster{addr: n.Addr(), url: n.URL, client: env.HTTP}}, nil
}

type slackBody struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type string    `json:"type"`
	Text slackText `json:"text"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

func (s *slack) Send(ctx context.Context, m Message) error {
	detail := "*" + m.Title() + "*\n" + m.Summary
	if m.Error != "" {
		detail += "\n```" + m.Error + "```"
	}
	return s.post(ctx, slackBody{
		Text:   m.Title(),
		Blocks: []slackBlock{{Type: "section", Text: slackText{Type: "mrkdwn", Text: detail}}},
	}, nil)
}
