package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// ClientOpts returns the franz-go options that connect to the brokers these
// settings describe: seeds, client id, TLS and SASL. brokers overrides
// k.Brokers when not empty (the embedded cluster's address).
func (k Kafka) ClientOpts(brokers []string) ([]kgo.Opt, error) {
	if len(brokers) == 0 {
		brokers = k.Brokers
	}
	if len(brokers) == 0 {
		return nil, fmt.Errorf("kafka client: no brokers configured (kafka.brokers or AITDR_KAFKA_BROKERS)")
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.ClientID(k.ClientID),
		kgo.ProducerBatchCompression(k.compression(brokers)),
	}
	if k.TLS.Enabled {
		cfg, err := k.TLS.config()
		if err != nil {
			return nil, fmt.Errorf("kafka client: %w", err)
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	switch k.SASL.Mechanism {
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: k.SASL.Username, Pass: k.SASL.Password}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: k.SASL.Username, Pass: k.SASL.Password}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: k.SASL.Username, Pass: k.SASL.Password}.AsSha512Mechanism()))
	}
	return opts, nil
}

// compressionCodecs are the codecs kafka.compression names.
var compressionCodecs = map[string]kgo.CompressionCodec{
	"none":   kgo.NoCompression(),
	"snappy": kgo.SnappyCompression(),
	"lz4":    kgo.Lz4Compression(),
	"zstd":   kgo.ZstdCompression(),
	"gzip":   kgo.GzipCompression(),
}

// compression is the codec of produced batches. Auto sends uncompressed
// when every broker is on loopback (the in-process Kafka always is): there
// the bytes cost nothing to move, and compressing and decompressing them on
// each of the pipeline's topic hops took about a sixth of the pipeline's CPU
// (docs/benchmarks.md).
func (k Kafka) compression(brokers []string) kgo.CompressionCodec {
	if c, ok := compressionCodecs[k.Compression]; ok {
		return c
	}
	for _, b := range brokers {
		host, _, err := net.SplitHostPort(b)
		if err != nil {
			return kgo.SnappyCompression()
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			if host != "localhost" {
				return kgo.SnappyCompression()
			}
		}
	}
	return kgo.NoCompression()
}

// maxGroupInstanceID bounds kafka.group_instance_id so that with "-" and
// the longest stage name ("baseline") it stays within the brokers' 249.
const maxGroupInstanceID = 240

// StageInstanceID returns the group.instance.id of stage's consumer group
// member (kafka.group_instance_id, "-", the stage name), or empty when
// kafka.group_instance_id is not set: a dynamic member.
func (k Kafka) StageInstanceID(stage string) string {
	if k.GroupInstanceID == "" {
		return ""
	}
	return k.GroupInstanceID + "-" + stage
}

// validInstanceID reports whether id is a kafka.group_instance_id: the
// brokers' rule for names ([a-zA-Z0-9._-]), short enough for a stage name
// after it.
func validInstanceID(id string) bool {
	if len(id) > maxGroupInstanceID {
		return false
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func (t TLS) config() (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // explicit, documented test-only setting
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca_file %s: no PEM certificates found", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load tls cert_file %s and key_file %s: %w", t.CertFile, t.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
