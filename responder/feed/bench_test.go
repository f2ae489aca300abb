package feed

import (
	"context"
	"testing"

	"github.com/aitdr/aitdr/internal/secret"
)

// BenchmarkSyslogFormat measures one RFC 5424 + CEF message of the golden
// alert.
func BenchmarkSyslogFormat(b *testing.B) {
	s, err := NewSyslog(SyslogConfig{Address: "127.0.0.1:514", Hostname: "h"}, "syslog", "0.1.0")
	if err != nil {
		b.Fatal(err)
	}
	m := NewMessage(goldenAlert(b))
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Format(m)
	}
}

// BenchmarkPublish measures fanning a message out to three queues.
func BenchmarkPublish(b *testing.B) {
	cfg := Config{SpillDir: b.TempDir(), Chat: []ChatConfig{
		{Delivery: Delivery{Name: "a", QueueSize: 1 << 20}, URL: secret.Secret{Value: "http://127.0.0.1:9"}},
		{Delivery: Delivery{Name: "b", QueueSize: 1 << 20}, URL: secret.Secret{Value: "http://127.0.0.1:9"}},
		{Delivery: Delivery{Name: "c", QueueSize: 1 << 20, MinSeverity: "critical"}, URL: secret.Secret{Value: "http://127.0.0.1:9"}},
	}}
	f, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	m := NewMessage(goldenAlert(b))
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i == 1<<20-1 {
			b.Skip("queue capacity reached")
		}
		_ = f.Publish(ctx, m)
	}
}
