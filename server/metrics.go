package server

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trellis-studio/trellis/workflow"
)

// metrics are the server's Prometheus metrics, on a registry of its own (no
// global state), served at /metrics.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	runs      *prometheus.CounterVec
	nodes     *prometheus.CounterVec
	nodeTime  *prometheus.HistogramVec
	cacheHits prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "trellis_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_runs_total", Help: "Workflow runs by final status.",
		}, []string{"status"}),
		nodes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trellis_node_executions_total", Help: "Node executions by module and final status (cached included).",
		}, []string{"module", "status"}),
		nodeTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "trellis_node_duration_seconds", Help: "Time nodes took to execute, by module.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}, []string{"module"}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trellis_node_cache_hits_total", Help: "Nodes answered from the result cache.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.runs, m.nodes, m.nodeTime, m.cacheHits,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// middleware records every request under its route pattern (not the raw
// path, which would make one series per id).
func (m *metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		status := c.Response().Status
		if err != nil {
			status = classify(err).Status
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(status)).Inc()
		m.latency.WithLabelValues(route, c.Request().Method).Observe(time.Since(start).Seconds())
		return err
	}
}

func (m *metrics) nodeDone(module string, status workflow.Status, d time.Duration) {
	m.nodes.WithLabelValues(module, string(status)).Inc()
	switch status {
	case workflow.StatusCached:
		m.cacheHits.Inc()
	case workflow.StatusSucceeded, workflow.StatusFailed:
		m.nodeTime.WithLabelValues(module).Observe(d.Seconds())
	}
}

func (m *metrics) runDone(status workflow.Status) { m.runs.WithLabelValues(string(status)).Inc() }

func (m *metrics) handler() echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}
