package input_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aitdr/aitdr/ingest/input"
	"github.com/aitdr/aitdr/ingest/pipeline"
)

// batchSize is the number of records of one benchmark request.
const batchSize = 500

// cloudTrailBodies returns n NDJSON bodies of batchSize realistic CloudTrail
// records each: every single-record sample of ingest/cloudtrail/testdata
// that normalizes (Bedrock, S3 data events, IAM, STS, console sign-in,
// SageMaker, ...), in turn, each with a unique eventID.
func cloudTrailBodies(b *testing.B, proc input.Processor, n int) [][]byte {
	b.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "cloudtrail", "testdata", "*.in.json"))
	if err != nil {
		b.Fatal(err)
	}
	var samples [][]byte
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".in.json")
		if strings.HasPrefix(name, "logfile") || strings.HasPrefix(name, "eventbridge") {
			continue
		}
		rec := sample(b, "cloudtrail", name)
		c, err := proc.Process(context.Background(), rec, "", func(pipeline.Result) {})
		if err != nil || c.Out != 1 || !bytes.Contains(rec, []byte(`"eventID":"`)) {
			continue
		}
		samples = append(samples, rec)
	}
	if len(samples) < 10 {
		b.Fatalf("only %d CloudTrail samples normalize", len(samples))
	}
	bodies := make([][]byte, n)
	k := 0
	for i := range bodies {
		var buf bytes.Buffer
		for range batchSize {
			s := samples[k%len(samples)]
			// A unique eventID, so that every event has its own id.
			buf.Write(bytes.Replace(s, []byte(`"eventID":"`), fmt.Appendf(nil, `"eventID":"%08d-`, k), 1))
			buf.WriteByte('\n')
			k++
		}
		bodies[i] = buf.Bytes()
	}
	return bodies
}

// BenchmarkHTTP measures the HTTP input end to end: NDJSON requests of 500
// realistic CloudTrail records (about 750 KB) over loopback HTTP,
// normalized by the pipeline and produced to the events topic, each
// answered 202 once the brokers acknowledged every record. It runs on
// kfake, or on the real broker named by AITDR_TEST_KAFKA_BROKERS, and
// reports events/s. "discard" acknowledges records without Kafka, to show
// the cost of the input and the pipeline alone.
func BenchmarkHTTP(b *testing.B) {
	for _, tc := range []struct {
		name    string
		gzip    bool
		discard bool
	}{
		{name: "ndjson"},
		{name: "ndjson-gzip", gzip: true},
		{name: "discard", discard: true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := newEnv(b)
			if tc.discard {
				var err error
				if e.pub, err = input.NewPublisher(instantAcks{}, input.PublisherConfig{EventsTopic: "e", DeadLetterTopic: "d", Stage: "ingest"}); err != nil {
					b.Fatal(err)
				}
			}
			srv := e.server(b, nil)
			bodies := cloudTrailBodies(b, e.proc, 8)
			if tc.gzip {
				for i := range bodies {
					bodies[i] = gzipped(b, bodies[i])
				}
			}
			b.SetBytes(int64(len(bodies[0])))
			b.SetParallelism(2) // 2 × GOMAXPROCS clients
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					body := bodies[next.Add(1)%int64(len(bodies))]
					req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/events", bytes.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					req.Header.Set("Content-Type", "application/x-ndjson")
					req.Header.Set("Authorization", "Bearer "+testToken)
					if tc.gzip {
						req.Header.Set("Content-Encoding", "gzip")
					}
					resp, err := srv.Client().Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					var answer bytes.Buffer
					_, _ = answer.ReadFrom(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusAccepted || !bytes.Contains(answer.Bytes(), fmt.Appendf(nil, `"accepted":%d,"rejected":0`, batchSize)) {
						b.Errorf("status %d: %s", resp.StatusCode, answer.Bytes())
						return
					}
				}
			})
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N*batchSize)/elapsed.Seconds(), "events/s")
			if !tc.discard && os.Getenv("AITDR_BENCH_CHECK") != "" {
				e.counts(b, int64(b.N*batchSize), 0)
			}
		})
	}
}
