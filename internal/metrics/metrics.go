// Package metrics exposes counters, gauges and histograms in the Prometheus
// text format. It is small on purpose: the platform needs a handful of
// series, and the official client library would bring a dozen transitive
// modules for them.
package metrics

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds every series; Write renders them for a scrape.
type Registry struct {
	mu       sync.Mutex
	families []family
}

type family interface {
	write(w io.Writer)
	name() string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

func (r *Registry) add(f family) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.families = append(r.families, f)
}

// Write renders all families sorted by name.
func (r *Registry) Write(w io.Writer) {
	r.mu.Lock()
	fs := append([]family(nil), r.families...)
	r.mu.Unlock()
	sort.Slice(fs, func(i, j int) bool { return fs[i].name() < fs[j].name() })
	for _, f := range fs {
		f.write(w)
	}
}

func labelKey(values []string) string { return strings.Join(values, "\x00") }

func renderLabels(names, values []string, extra ...string) string {
	if len(names) == 0 && len(extra) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%s", n, strconv.Quote(values[i]))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%s", extra[i], strconv.Quote(extra[i+1]))
	}
	b.WriteByte('}')
	return b.String()
}

// CounterVec is a monotonically increasing count per label combination.
type CounterVec struct {
	n, help string
	labels  []string
	mu      sync.RWMutex
	series  map[string]*counterSeries
}

type counterSeries struct {
	values []string
	v      atomic.Uint64
}

// NewCounterVec registers a counter family.
func (r *Registry) NewCounterVec(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{n: name, help: help, labels: labels, series: map[string]*counterSeries{}}
	r.add(c)
	return c
}

func (c *CounterVec) name() string { return c.n }

// Add increments the series for values by delta.
func (c *CounterVec) Add(delta uint64, values ...string) {
	k := labelKey(values)
	c.mu.RLock()
	s := c.series[k]
	c.mu.RUnlock()
	if s == nil {
		c.mu.Lock()
		if s = c.series[k]; s == nil {
			s = &counterSeries{values: append([]string(nil), values...)}
			c.series[k] = s
		}
		c.mu.Unlock()
	}
	s.v.Add(delta)
}

// Inc adds one.
func (c *CounterVec) Inc(values ...string) { c.Add(1, values...) }

func (c *CounterVec) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.n, c.help, c.n)
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, k := range sortedKeys(c.series) {
		s := c.series[k]
		fmt.Fprintf(w, "%s%s %d\n", c.n, renderLabels(c.labels, s.values), s.v.Load())
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// HistogramVec counts observations (seconds) into cumulative buckets.
type HistogramVec struct {
	n, help string
	labels  []string
	bounds  []float64
	mu      sync.Mutex
	series  map[string]*histSeries
}

type histSeries struct {
	values []string
	counts []uint64
	count  uint64
	sum    float64
}

// DefaultLatencyBuckets suit HTTP and database latencies, in seconds.
var DefaultLatencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// NewHistogramVec registers a histogram family.
func (r *Registry) NewHistogramVec(name, help string, bounds []float64, labels ...string) *HistogramVec {
	h := &HistogramVec{n: name, help: help, labels: labels, bounds: bounds, series: map[string]*histSeries{}}
	r.add(h)
	return h
}

func (h *HistogramVec) name() string { return h.n }

// Observe records one value.
func (h *HistogramVec) Observe(v float64, values ...string) {
	k := labelKey(values)
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.series[k]
	if s == nil {
		s = &histSeries{values: append([]string(nil), values...), counts: make([]uint64, len(h.bounds))}
		h.series[k] = s
	}
	for i, b := range h.bounds {
		if v <= b {
			s.counts[i]++
		}
	}
	s.count++
	s.sum += v
}

func (h *HistogramVec) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", h.n, h.help, h.n)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range sortedKeys(h.series) {
		s := h.series[k]
		for i, b := range h.bounds {
			fmt.Fprintf(w, "%s_bucket%s %d\n", h.n, renderLabels(h.labels, s.values, "le", formatFloat(b)), s.counts[i])
		}
		fmt.Fprintf(w, "%s_bucket%s %d\n", h.n, renderLabels(h.labels, s.values, "le", "+Inf"), s.count)
		fmt.Fprintf(w, "%s_sum%s %s\n", h.n, renderLabels(h.labels, s.values), formatFloat(s.sum))
		fmt.Fprintf(w, "%s_count%s %d\n", h.n, renderLabels(h.labels, s.values), s.count)
	}
}

func formatFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// GaugeFunc reads its values at scrape time (for example database pool
// statistics), so nothing has to keep them up to date.
type GaugeFunc struct {
	n, help string
	labels  []string
	fn      func(emit func(v float64, values ...string))
}

// NewGaugeFunc registers a gauge family computed by fn on every scrape.
func (r *Registry) NewGaugeFunc(name, help string, labels []string, fn func(emit func(v float64, values ...string))) {
	r.add(&GaugeFunc{n: name, help: help, labels: labels, fn: fn})
}

func (g *GaugeFunc) name() string { return g.n }

func (g *GaugeFunc) write(w io.Writer) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", g.n, g.help, g.n)
	g.fn(func(v float64, values ...string) {
		fmt.Fprintf(w, "%s%s %s\n", g.n, renderLabels(g.labels, values), formatFloat(v))
	})
}
