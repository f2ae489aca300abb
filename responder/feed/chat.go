package feed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Chat is the chat webhook output: a Slack-compatible message, a text
// summary for notifications and Block Kit blocks with the full context
// (identity, class, owner, rule, ATLAS techniques, the baseline broken,
// evidence, recommended containment and what was done). Create it with
// NewChat; it is safe for concurrent use.
type Chat struct {
	name   string
	url    string
	client *http.Client
}

var _ Output = (*Chat)(nil)

// NewChat returns the output posting to webhook url.
func NewChat(name, url string) (*Chat, error) {
	c, err := httpClient(url, TLSConfig{})
	if err != nil {
		return nil, fmt.Errorf("feed chat %s: %w", name, err)
	}
	return &Chat{name: name, url: url, client: c}, nil
}

// Name returns the output's name.
func (c *Chat) Name() string { return c.name }

// Limits of Slack's Block Kit.
const (
	chatHeaderMax  = 150
	chatFieldMax   = 2000
	chatSectionMax = 3000
	chatFieldsMax  = 10
)

// mrkdwn escapes the three characters Slack's mrkdwn gives meaning to.
func mrkdwn(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

type textObj struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type block struct {
	Type     string    `json:"type"`
	Text     *textObj  `json:"text,omitempty"`
	Fields   []textObj `json:"fields,omitempty"`
	Elements []textObj `json:"elements,omitempty"`
}

// Payload returns the webhook body of m.
func (c *Chat) Payload(m Message) ([]byte, error) {
	v := m.view()
	head := m.headline(v)
	blocks := []block{{Type: "header", Text: &textObj{"plain_text", clip(head, chatHeaderMax)}}}
	var fields []textObj
	for _, l := range m.lines(v) {
		label, value := l[0], l[1]
		if strings.Contains(value, "\n") || len(value) > 200 || len(fields) == chatFieldsMax {
			blocks = append(blocks, block{Type: "section", Text: &textObj{"mrkdwn", clip("*"+label+"*\n"+mrkdwn(value), chatSectionMax)}})
			continue
		}
		fields = append(fields, textObj{"mrkdwn", clip("*"+label+"*\n"+mrkdwn(value), chatFieldMax)})
	}
	if len(fields) > 0 {
		blocks = append(blocks[:1], append([]block{{Type: "section", Fields: fields}}, blocks[1:]...)...)
	}
	blocks = append(blocks, block{Type: "context", Elements: []textObj{{"mrkdwn", mrkdwn("aitdr " + string(m.Kind) + " " + m.ID)}}})
	return json.Marshal(struct {
		Text   string  `json:"text"`
		Blocks []block `json:"blocks"`
	}{mrkdwn(head), blocks})
}

// Send posts m to the webhook.
func (c *Chat) Send(ctx context.Context, m Message) error {
	body, err := c.Payload(m)
	if err != nil {
		return Permanent(fmt.Errorf("feed chat %s: %w", c.name, err))
	}
	if _, err := post(ctx, c.client, c.url, http.Header{"Content-Type": {"application/json"}, "User-Agent": {"aitdr-feed"}}, body); err != nil {
		return fmt.Errorf("feed chat %s: %w", c.name, err)
	}
	return nil
}
