// Package metrictest reads, in tests, the OpenTelemetry metrics that the
// code under test recorded through an SDK ManualReader.
package metrictest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Sum returns the total of the int64 sum or gauge name over its points
// whose attributes hold every key-value pair of attrs ("key", "value",
// ...): over all its points when attrs is empty. A metric not recorded
// yet is 0.
func Sum(t testing.TB, reader *sdkmetric.ManualReader, name string, attrs ...string) int64 {
	t.Helper()
	if len(attrs)%2 != 0 {
		t.Fatalf("metrictest.Sum(%s): attributes %q are not key-value pairs", name, attrs)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect metrics: %v", err)
	}
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			var points []metricdata.DataPoint[int64]
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				points = d.DataPoints
			case metricdata.Gauge[int64]:
				points = d.DataPoints
			}
			for _, p := range points {
				if matches(p.Attributes, attrs) {
					n += p.Value
				}
			}
		}
	}
	return n
}

func matches(set attribute.Set, attrs []string) bool {
	for i := 0; i < len(attrs); i += 2 {
		if v, ok := set.Value(attribute.Key(attrs[i])); !ok || v.String() != attrs[i+1] {
			return false
		}
	}
	return true
}
