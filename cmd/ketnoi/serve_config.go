package main

import (
	"time"

	"ketnoi/corpus"
	"ketnoi/internal/clientip"
	"ketnoi/server"
)

// serveOptions are the flags of serve that make the server's configuration.
type serveOptions struct {
	timeout               time.Duration
	proxies               string
	readRate, writeRate   float64
	readBurst, writeBurst int
	limitLoopback         bool
	metricsRole           string
	metricsLocal          bool
	metricsOff            bool
	tlsCert, tlsKey       string
}

// serveConfig checks the flags and makes the server's configuration from them.
func serveConfig(cfg server.Config, o serveOptions) (server.Config, error) {
	if o.timeout <= 0 {
		return cfg, usageError{"--timeout phải lớn hơn 0, ví dụ 10s"}
	}
	cfg.RequestTimeout = o.timeout
	trusted, err := clientip.ParsePrefixes(o.proxies)
	if err != nil {
		return cfg, usageError{"--trusted-proxies: " + err.Error()}
	}
	cfg.TrustedProxies = trusted
	if o.readRate < 0 || o.writeRate < 0 || o.readBurst < 1 || o.writeBurst < 1 {
		return cfg, usageError{"--rate-read và --rate-write không được âm (0: không giới hạn); --rate-read-burst và --rate-write-burst phải ít nhất 1"}
	}
	cfg.Rates.Read = server.Rate{PerSecond: o.readRate, Burst: o.readBurst}
	cfg.Rates.Write = server.Rate{PerSecond: o.writeRate, Burst: o.writeBurst}
	cfg.Rates.LimitLoopback = o.limitLoopback
	if o.metricsRole != "" {
		r, err := corpus.ParseRole(o.metricsRole)
		if err != nil {
			return cfg, usageError{"--metrics-key-role: " + err.Error()}
		}
		cfg.Metrics.KeyRole = r
	}
	cfg.Metrics.LoopbackOnly, cfg.Metrics.Disabled = o.metricsLocal, o.metricsOff
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return cfg, usageError{"--tls-cert và --tls-key phải đặt cùng nhau"}
	}
	cfg.TLSCertFile, cfg.TLSKeyFile = o.tlsCert, o.tlsKey
	return cfg, nil
}
