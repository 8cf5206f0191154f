package metrics

import (
	"strings"
	"sync"
	"testing"
)

func TestExposition(t *testing.T) {
	r := NewRegistry()
	c := r.NewCounterVec("http_requests_total", "Requests.", "route", "code")
	h := r.NewHistogramVec("http_request_seconds", "Latency.", []float64{0.1, 1}, "route")
	r.NewGaugeFunc("db_open_connections", "Open.", nil, func(emit func(float64, ...string)) { emit(3) })
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c.Inc("GET /x", "200"); h.Observe(0.05, "GET /x") }()
	}
	wg.Wait()
	h.Observe(0.5, "GET /x")
	h.Observe(5, "GET /x")
	c.Inc(`GET /"q"`, "404")
	var b strings.Builder
	r.Write(&b)
	out := b.String()
	for _, want := range []string{
		`http_requests_total{route="GET /x",code="200"} 50`,
		`http_requests_total{route="GET /\"q\"",code="404"} 1`,
		`http_request_seconds_bucket{route="GET /x",le="0.1"} 50`,
		`http_request_seconds_bucket{route="GET /x",le="1"} 51`,
		`http_request_seconds_bucket{route="GET /x",le="+Inf"} 52`,
		`http_request_seconds_count{route="GET /x"} 52`,
		"db_open_connections 3",
		"# TYPE http_request_seconds histogram",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}
