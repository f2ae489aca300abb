// Package embedded runs the pipeline's engines inside the aitdr process, the
// default that needs nothing installed: franz-go's in-process Kafka (kfake),
// persisted under the data directory, and a NATS server with JetStream. The
// stages talk to both over loopback with the same clients and protocols they
// use against external clusters.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Config chooses which embedded engines run, where they listen and where
// they keep their data. A nil section leaves that engine out, for a process
// that uses an external cluster for it.
type Config struct {
	// Kafka runs the in-process Kafka when not nil.
	Kafka *KafkaConfig
	// NATS runs the NATS server with JetStream when not nil.
	NATS *NATSConfig
	// Logger receives the engines' notable events. Default slog.Default().
	Logger *slog.Logger
}

// KafkaConfig configures the in-process Kafka.
type KafkaConfig struct {
	// Dir holds the log segments and offsets; empty keeps them in memory only.
	Dir string
	// Port is the loopback port to listen on; 0 picks a free port.
	Port int
	// Housekeeping is how often retention is applied and changelog topics
	// are compacted. Default 1 minute.
	Housekeeping time.Duration
}

// NATSConfig configures the embedded NATS server.
type NATSConfig struct {
	// Dir holds JetStream's store. Required.
	Dir string
	// Host and Port are where the server listens; port 0 picks a free port.
	// Default host 127.0.0.1.
	Host string
	Port int
}

// Stack is the running embedded engines. Close is idempotent and safe for
// concurrent use.
type Stack struct {
	kafka        *kfake.Cluster
	nats         *server.Server
	housekeeping time.Duration
	logger       *slog.Logger
	closeOnce    sync.Once
}

// Start starts the configured engines and returns when they accept
// connections.
func Start(cfg Config) (*Stack, error) {
	s := &Stack{logger: cfg.Logger}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if cfg.Kafka != nil {
		kafka, err := startKafka(*cfg.Kafka)
		if err != nil {
			return nil, err
		}
		s.kafka, s.housekeeping = kafka, cfg.Kafka.Housekeeping
		if s.housekeeping <= 0 {
			s.housekeeping = time.Minute
		}
		s.logger.Info("embedded kafka started", "brokers", s.KafkaBrokers(), "data", cfg.Kafka.Dir)
	}
	if cfg.NATS != nil {
		ns, err := startNATS(*cfg.NATS)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.nats = ns
		s.logger.Info("embedded nats started", "url", s.NATSURL(), "jetstream_data", cfg.NATS.Dir)
	}
	return s, nil
}

func startKafka(cfg KafkaConfig) (*kfake.Cluster, error) {
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ClusterID("aitdr-embedded"),
		kfake.Ports(cfg.Port),
	}
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
			return nil, fmt.Errorf("start embedded kafka: %w", err)
		}
		opts = append(opts, kfake.DataDir(cfg.Dir))
	}
	kafka, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start embedded kafka on 127.0.0.1:%d (data %q): %w", cfg.Port, cfg.Dir, err)
	}
	return kafka, nil
}

func startNATS(cfg NATSConfig) (*server.Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("start embedded nats: JetStream data directory is empty")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Port == 0 {
		cfg.Port = server.RANDOM_PORT
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("start embedded nats: %w", err)
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "aitdr-embedded",
		Host:       cfg.Host,
		Port:       cfg.Port,
		JetStream:  true,
		StoreDir:   cfg.Dir,
		NoSigs:     true, // the aitdr process owns signal handling
		NoLog:      true,
	})
	if err != nil {
		return nil, fmt.Errorf("configure embedded nats on %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	ns.Start()
	if !ns.ReadyForConnections(15 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("start embedded nats on %s:%d: not ready after 15s (port in use?)", cfg.Host, cfg.Port)
	}
	return ns, nil
}

// KafkaBrokers returns the seed brokers of the in-process Kafka, or nil
// when it does not run.
func (s *Stack) KafkaBrokers() []string {
	if s.kafka == nil {
		return nil
	}
	return s.kafka.ListenAddrs()
}

// NATSURL returns the client URL of the NATS server, or "" when it does not
// run.
func (s *Stack) NATSURL() string {
	if s.nats == nil {
		return ""
	}
	return s.nats.ClientURL()
}

// Run does the housekeeping a broker does on its own: applying topic
// retention and compacting changelog topics, every Housekeeping interval,
// until ctx is done. It returns nil when ctx is cancelled.
func (s *Stack) Run(ctx context.Context) error {
	if s.kafka == nil {
		<-ctx.Done()
		return nil
	}
	tick := time.NewTicker(s.housekeeping)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			s.kafka.ApplyRetention()
			s.kafka.Compact()
		}
	}
}

// Close shuts NATS down (flushing JetStream) and then the in-process Kafka
// (persisting its state when it has a data directory). It is idempotent.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() {
		if s.nats != nil {
			s.nats.Shutdown()
			s.nats.WaitForShutdown()
		}
		if s.kafka != nil {
			s.kafka.Close()
		}
	})
	return nil
}
