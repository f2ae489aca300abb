package feed

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// HEC is the HTTP event collector output: each request is a batch of
// events, one JSON object after another, {"time", "host", "source",
// "sourcetype", "index", "event"}, with the message as the event and the
// token in a header ("Authorization: Splunk <token>" by default). Create
// it with NewHEC; it is safe for concurrent use.
type HEC struct {
	name                            string
	url                             string
	client                          *http.Client
	header                          http.Header
	index, source, sourceType, host string
	batch                           int
	wait                            time.Duration
}

var _ BatchOutput = (*HEC)(nil)

// NewHEC returns the output of cfg with its token.
func NewHEC(cfg HECConfig, name, token string) (*HEC, error) {
	c, err := httpClient(cfg.URL, cfg.TLS)
	if err != nil {
		return nil, fmt.Errorf("feed hec %s: %w", name, err)
	}
	auth := token
	if scheme := cmp.Or(cfg.Scheme, "Splunk"); scheme != "-" {
		auth = scheme + " " + token
	}
	h := &HEC{
		name: name, url: cfg.URL, client: c,
		header: http.Header{"Content-Type": {"application/json"}, "User-Agent": {"aitdr-feed"}},
		index:  cfg.Index, source: cmp.Or(cfg.Source, "aitdr"), sourceType: cfg.SourceType, host: cfg.Host,
		batch: cmp.Or(cfg.BatchSize, DefaultHECBatchSize), wait: cmp.Or(cfg.FlushInterval, DefaultFlushInterval),
	}
	h.header.Set(cmp.Or(cfg.Header, "Authorization"), auth)
	return h, nil
}

// Name returns the output's name.
func (h *HEC) Name() string { return h.name }

// Batch returns the batch size and flush interval.
func (h *HEC) Batch() (int, time.Duration) { return h.batch, h.wait }

// Send sends m alone.
func (h *HEC) Send(ctx context.Context, m Message) error { return h.SendBatch(ctx, []Message{m}) }

// hecEvent is one event of the collector's /services/collector/event
// endpoint.
type hecEvent struct {
	Time       float64  `json:"time"`
	Host       string   `json:"host,omitempty"`
	Source     string   `json:"source,omitempty"`
	SourceType string   `json:"sourcetype,omitempty"`
	Index      string   `json:"index,omitempty"`
	Event      *Message `json:"event"`
}

// SendBatch sends ms in one request.
func (h *HEC) SendBatch(ctx context.Context, ms []Message) error {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	for i := range ms {
		m := &ms[i]
		ev := hecEvent{
			Time: float64(m.Time.UnixMilli()) / 1000, Host: h.host, Source: h.source,
			SourceType: cmp.Or(h.sourceType, "aitdr:"+string(m.Kind)), Index: h.index, Event: m,
		}
		if err := enc.Encode(ev); err != nil {
			return Permanent(fmt.Errorf("feed hec %s: encode message %s: %w", h.name, m.ID, err))
		}
	}
	answer, err := post(ctx, h.client, h.url, h.header, body.Bytes())
	if err != nil {
		return fmt.Errorf("feed hec %s: %w", h.name, err)
	}
	// The collector answers {"text":"Success","code":0}; any other code
	// with a 2xx is a refusal of the data.
	var a struct {
		Code *int   `json:"code"`
		Text string `json:"text"`
	}
	if json.Unmarshal(answer, &a) == nil && a.Code != nil && *a.Code != 0 {
		return Permanent(fmt.Errorf("feed hec %s: code %d: %s", h.name, *a.Code, a.Text))
	}
	return nil
}
