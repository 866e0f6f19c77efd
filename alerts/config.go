package alerts

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

//go:embed alerts.json
var defaultConfigJSON []byte

// ConfigFile is the name of the file in a data directory that overrides the defaults.
const ConfigFile = "alerts.json"

// Config are the alert settings. They come from a configuration file, never from code: alerts.json beside
// this file holds the documented defaults; a data directory's own alerts.json overrides them, so that
// `ketnoi serve` and `ketnoi index` raise alerts alike.
type Config struct {
	// Threshold is the lowest match score (0–1) that raises an alert.
	Threshold float64 `json:"threshold"`
	// RematchDelayMS is how long the server waits after a change before a pass, so that a burst of
	// changes (an upload of many files) makes one pass, not one each.
	RematchDelayMS int `json:"rematch_delay_ms"`
	// FeedEntries is how many of the newest alerts a feed shows.
	FeedEntries int `json:"feed_entries"`
	// Webhook delivery: the timeout of one attempt, the number of attempts, the wait before the second
	// (doubled after each failure, up to BackoffMax), and how old an undelivered alert may get.
	TimeoutSeconds    int `json:"webhook_timeout_seconds"`
	Attempts          int `json:"webhook_attempts"`
	BackoffSeconds    int `json:"webhook_backoff_seconds"`
	BackoffMaxSeconds int `json:"webhook_backoff_max_seconds"`
	MaxAgeHours       int `json:"webhook_max_age_hours"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	var c Config
	if err := json.Unmarshal(defaultConfigJSON, &c); err != nil {
		panic(err) // embedded file: a defect caught by every test run
	}
	return c
}

// LoadConfig reads the data directory's alerts.json over the defaults; without one, the defaults.
func LoadConfig(dataDir string) (Config, error) {
	c := DefaultConfig()
	path := filepath.Join(dataDir, ConfigFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("đọc tệp cài đặt cảnh báo %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("tệp cài đặt cảnh báo %s không đúng JSON: %w", path, err)
	}
	if err := c.validate(); err != nil {
		return c, fmt.Errorf("tệp cài đặt cảnh báo %s: %w", path, err)
	}
	return c, nil
}

func (c Config) validate() error {
	switch {
	case c.Threshold < 0 || c.Threshold > 1:
		return fmt.Errorf("threshold phải trong khoảng 0–1, đang là %g", c.Threshold)
	case c.RematchDelayMS < 0 || c.RematchDelayMS > 600000:
		return fmt.Errorf("rematch_delay_ms phải trong khoảng 0–600000, đang là %d", c.RematchDelayMS)
	case c.FeedEntries < 1 || c.FeedEntries > 500:
		return fmt.Errorf("feed_entries phải trong khoảng 1–500, đang là %d", c.FeedEntries)
	case c.TimeoutSeconds < 1 || c.TimeoutSeconds > 300:
		return fmt.Errorf("webhook_timeout_seconds phải trong khoảng 1–300, đang là %d", c.TimeoutSeconds)
	case c.Attempts < 1 || c.Attempts > 50:
		return fmt.Errorf("webhook_attempts phải trong khoảng 1–50, đang là %d", c.Attempts)
	case c.BackoffSeconds < 1 || c.BackoffMaxSeconds < c.BackoffSeconds:
		return errors.New("webhook_backoff_seconds phải ≥ 1 và không lớn hơn webhook_backoff_max_seconds")
	case c.MaxAgeHours < 1:
		return errors.New("webhook_max_age_hours phải ≥ 1")
	}
	return nil
}

func (c Config) timeout() time.Duration { return time.Duration(c.TimeoutSeconds) * time.Second }

func (c Config) maxAge() time.Duration { return time.Duration(c.MaxAgeHours) * time.Hour }

// backoff is the wait after the n-th failed attempt (n ≥ 1).
func (c Config) backoff(n int) time.Duration {
	d := time.Duration(c.BackoffSeconds) * time.Second
	limit := time.Duration(c.BackoffMaxSeconds) * time.Second
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
