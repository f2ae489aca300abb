package config_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/aitdr/aitdr/internal/config"
)

// TestClientOptsCompression checks the codec of produced batches: auto is
// uncompressed on loopback only, and a named codec applies anywhere.
func TestClientOptsCompression(t *testing.T) {
	for _, tc := range []struct {
		setting string
		brokers []string
		want    kgo.CompressionCodec
	}{
		{"auto", []string{"127.0.0.1:9092"}, kgo.NoCompression()},
		{"auto", []string{"localhost:9092", "[::1]:9093"}, kgo.NoCompression()},
		{"auto", []string{"127.0.0.1:9092", "kafka-1:9092"}, kgo.SnappyCompression()},
		{"auto", []string{"10.0.0.7:9092"}, kgo.SnappyCompression()},
		{"none", []string{"kafka-1:9092"}, kgo.NoCompression()},
		{"lz4", []string{"127.0.0.1:9092"}, kgo.Lz4Compression()},
		{"zstd", []string{"kafka-1:9092"}, kgo.ZstdCompression()},
		{"gzip", []string{"kafka-1:9092"}, kgo.GzipCompression()},
	} {
		k := config.Default().Kafka
		k.Compression = tc.setting
		opts, err := k.ClientOpts(tc.brokers)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			t.Fatal(err)
		}
		got := cl.OptValue(kgo.ProducerBatchCompression)
		cl.Close()
		if want := []kgo.CompressionCodec{tc.want}; !reflect.DeepEqual(got, want) {
			t.Errorf("compression %s to %v: codecs %v, want %v", tc.setting, tc.brokers, got, want)
		}
	}
}

func TestCompressionValidated(t *testing.T) {
	cfg := config.Default()
	cfg.Kafka.Compression = "brotli"
	err := cfg.Validate()
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Path != "kafka.compression" || !strings.Contains(err.Error(), `"brotli" is not one of`) {
		t.Fatalf("Validate() = %v, want a problem at kafka.compression naming the value", err)
	}
}
