// Package metrics is the platform's Prometheus registry, built on the
// official client library (prometheus/client_golang): its exposition
// format, escaping and metric types are the ones Prometheus and promtool
// expect, and it brings the Go runtime and process collectors that every
// operator looks for first. This package only keeps the platform's names
// in one place and gives the callers a small surface (Inc, Observe).
package metrics

import (
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every series of one process.
type Registry struct {
	reg *prometheus.Registry
}

// NewRegistry returns a registry with the Go runtime and process
// collectors registered.
func NewRegistry() *Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &Registry{reg: r}
}

// Handler serves a scrape in the format the scraper asks for.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Gatherer exposes the registry to linters and tests.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// CounterVec is a counter with labels.
type CounterVec struct{ v *prometheus.CounterVec }

// NewCounterVec registers a counter; its name must end in _total.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	return &CounterVec{v: register(r, prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels))}
}

// Add adds delta to the series of the label values.
func (c *CounterVec) Add(delta uint64, values ...string) {
	c.v.WithLabelValues(values...).Add(float64(delta))
}

// Inc adds one.
func (c *CounterVec) Inc(values ...string) { c.v.WithLabelValues(values...).Inc() }

// HistogramVec is a histogram with labels.
type HistogramVec struct{ v *prometheus.HistogramVec }

// DefaultLatencyBuckets suit request and commit latencies in seconds.
var DefaultLatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// NewHistogramVec registers a histogram.
func (r *Registry) NewHistogramVec(name, help string, bounds []float64, labels ...string) *HistogramVec {
	return &HistogramVec{v: register(r, prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: bounds}, labels))}
}

// Observe records one value.
func (h *HistogramVec) Observe(v float64, values ...string) {
	h.v.WithLabelValues(values...).Observe(v)
}

// Gauge is a value that goes up and down (requests in flight).
type Gauge struct{ g prometheus.Gauge }

// NewGauge registers a gauge without labels.
func (r *Registry) NewGauge(name, help string) *Gauge {
	return &Gauge{g: register(r, prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help}))}
}

// Inc adds one.
func (g *Gauge) Inc() { g.g.Inc() }

// Dec subtracts one.
func (g *Gauge) Dec() { g.g.Dec() }

// NewGaugeFunc registers a gauge whose values fn reports at each scrape,
// one emit per label combination.
func (r *Registry) NewGaugeFunc(name, help string, labels []string, fn func(emit func(v float64, values ...string))) {
	register[prometheus.Collector](r, &funcCollector{desc: prometheus.NewDesc(name, help, labels, nil), kind: prometheus.GaugeValue, fn: fn})
}

// NewCounterFunc registers a counter whose value fn reports at each scrape
// (a total kept elsewhere, such as the connection pool's wait time).
func (r *Registry) NewCounterFunc(name, help string, fn func() float64) {
	register(r, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, fn))
}

// register adds c, or returns the collector already registered under the
// same description: two servers built on one registry (tests, a restart
// inside one process) share their series instead of panicking.
func register[C prometheus.Collector](r *Registry, c C) C {
	if err := r.reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
			return c // a func collector: the first one keeps reporting
		}
		panic("metrics: " + err.Error())
	}
	return c
}

// funcCollector reports values computed at scrape time.
type funcCollector struct {
	desc *prometheus.Desc
	kind prometheus.ValueType
	fn   func(emit func(v float64, values ...string))
}

func (c *funcCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *funcCollector) Collect(ch chan<- prometheus.Metric) {
	c.fn(func(v float64, values ...string) {
		ch <- prometheus.MustNewConstMetric(c.desc, c.kind, v, values...)
	})
}
