package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
)

func scrape(t *testing.T, r *Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestExposition(t *testing.T) {
	r := NewRegistry()
	c := r.NewCounterVec("http_requests_total", "Requests.", "route", "code")
	h := r.NewHistogramVec("http_request_seconds", "Latency.", []float64{0.1, 1}, "route")
	r.NewGaugeFunc("db_open_connections", "Open.", nil, func(emit func(float64, ...string)) { emit(3) })
	r.NewCounterFunc("db_wait_seconds_total", "Waited.", func() float64 { return 1.5 })
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c.Inc("GET /x", "200"); h.Observe(0.05, "GET /x") }()
	}
	wg.Wait()
	h.Observe(0.5, "GET /x")
	h.Observe(5, "GET /x")
	c.Inc("GET /\"q\"\n", "404")
	out := scrape(t, r)
	for _, want := range []string{
		`http_requests_total{code="200",route="GET /x"} 50`,
		// The exposition format escapes quote and newline (not Go's %q).
		`http_requests_total{code="404",route="GET /\"q\"\n"} 1`,
		`http_request_seconds_bucket{route="GET /x",le="0.1"} 50`,
		`http_request_seconds_bucket{route="GET /x",le="1"} 51`,
		`http_request_seconds_bucket{route="GET /x",le="+Inf"} 52`,
		`http_request_seconds_count{route="GET /x"} 52`,
		"db_open_connections 3",
		"# TYPE db_wait_seconds_total counter",
		"# TYPE http_request_seconds histogram",
		"go_goroutines ", "process_resident_memory_bytes ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

// Lint checks a registry's exposition with promlint, the checker behind
// `promtool check metrics`.
func Lint(t *testing.T, r *Registry) {
	t.Helper()
	problems, err := promlint.NewWithMetricFamilies(mustGather(t, r)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

func mustGather(t *testing.T, r *Registry) []*dto.MetricFamily {
	t.Helper()
	mfs, err := r.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

func TestLintClean(t *testing.T) {
	r := NewRegistry()
	r.NewCounterVec("bricstown_x_total", "X.", "a").Inc("1")
	Lint(t, r)
	bad := NewRegistry()
	bad.NewGaugeFunc("bricstown_wait_seconds_total", "A gauge with a counter's name.", nil, func(emit func(float64, ...string)) { emit(1) })
	problems, _ := promlint.NewWithMetricFamilies(mustGather(t, bad)).Lint()
	if len(problems) == 0 {
		t.Fatal("promlint passed a gauge named like a counter: the lint cannot fail")
	}
}
