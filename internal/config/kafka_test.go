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

// TestGroupInstanceID shows kafka.group_instance_id: unset by default (the
// stages are dynamic members), set from the file or AITDR_KAFKA_GROUP_
// INSTANCE_ID, made per stage by StageInstanceID, and validated against the
// brokers' rule for names with its field path.
func TestGroupInstanceID(t *testing.T) {
	def := config.Default()
	if got := def.Kafka.StageInstanceID("enrich"); got != "" {
		t.Errorf("default StageInstanceID(enrich) = %q, want empty (dynamic members)", got)
	}

	cfg, err := config.Load("", env(map[string]string{"AITDR_KAFKA_GROUP_INSTANCE_ID": "aitdr-0"}))
	if err != nil {
		t.Fatal(err)
	}
	for stage, want := range map[string]string{"ingest": "aitdr-0-ingest", "baseline": "aitdr-0-baseline", "sink": "aitdr-0-sink"} {
		if got := cfg.Kafka.StageInstanceID(stage); got != want {
			t.Errorf("StageInstanceID(%s) = %q, want %q", stage, got, want)
		}
	}

	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"host-1.example", true},
		{"aitdr_0", true},
		{strings.Repeat("a", 240), true},
		{strings.Repeat("a", 241), false},
		{"pod 0", false},
		{"pod/0", false},
		{"aitdr:0", false},
	} {
		c := config.Default()
		c.Kafka.GroupInstanceID = tc.id
		err := c.Validate()
		var fe *config.FieldError
		switch {
		case tc.ok && err != nil:
			t.Errorf("kafka.group_instance_id %q: %v, want valid", tc.id, err)
		case !tc.ok && (!errors.As(err, &fe) || fe.Path != "kafka.group_instance_id"):
			t.Errorf("kafka.group_instance_id %q: err = %v, want a field error of kafka.group_instance_id", tc.id, err)
		}
	}
}
