package metrictest_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/aitdr/aitdr/internal/metrictest"
)

func TestSum(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	meter := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test")
	ctx := context.Background()
	c, err := meter.Int64Counter("events")
	if err != nil {
		t.Fatal(err)
	}
	c.Add(ctx, 3, metric.WithAttributes(attribute.String("outcome", "folded"), attribute.String("stage", "baseline")))
	c.Add(ctx, 2, metric.WithAttributes(attribute.String("outcome", "copy"), attribute.String("stage", "baseline")))
	g, err := meter.Int64Gauge("waiting")
	if err != nil {
		t.Fatal(err)
	}
	g.Record(ctx, 7)
	for _, tc := range []struct {
		name  string
		attrs []string
		want  int64
	}{
		{"events", nil, 5},
		{"events", []string{"outcome", "copy"}, 2},
		{"events", []string{"outcome", "folded", "stage", "baseline"}, 3},
		{"events", []string{"outcome", "folded", "stage", "rules"}, 0},
		{"waiting", nil, 7},
		{"never recorded", nil, 0},
	} {
		if got := metrictest.Sum(t, reader, tc.name, tc.attrs...); got != tc.want {
			t.Errorf("Sum(%s, %q) = %d, want %d", tc.name, tc.attrs, got, tc.want)
		}
	}
}
