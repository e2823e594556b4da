package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ModelSettings are the `clawbridge.models` settings: how the backend
// models of the aliases are kept ready.
type ModelSettings struct {
	// Warmup loads every alias's Ollama model at start, after the alias
	// is switched to another model and after Ollama restarts, with the
	// num_ctx the translator will send, so that the first request does
	// not wait for the load. Aliases without keep_alive then keep their
	// model loaded for as long as Ollama runs. Nil or false: off.
	Warmup *bool `yaml:"warmup"`
}

// WarmupOn reports whether clawbridge.models.warmup is on (off by default:
// a loaded model holds its memory).
func (c *Config) WarmupOn() bool {
	w := c.Clawbridge.Models.Warmup
	return w != nil && *w
}

// KeepForever is the keep_alive that keeps a model loaded for as long as
// Ollama runs (Ollama reads any negative duration so).
const KeepForever = "-1s"

// ParseKeepAlive reads a keep_alive value: a Go duration ("30m", "1h30m"),
// a whole number of seconds ("300"), or a negative number for "forever".
// Ollama reads a JSON string only as a duration with a unit, so the
// result is always that form.
func ParseKeepAlive(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return -time.Second, nil
		}
		if n > int64(1<<62/time.Second) {
			return 0, fmt.Errorf("%s seconds is too long", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; want e.g. 30m, 2h, 300 (seconds) or -1 (forever)", s)
	}
	if d < 0 {
		return -time.Second, nil
	}
	return d, nil
}

// keepAlive is the keep_alive an entry's requests carry: its own, else
// forever when warm-up is on, else "" (Ollama's default). Parse has
// validated it.
func (c *Config) keepAlive(raw string) string {
	if raw == "" {
		if c.WarmupOn() {
			return KeepForever
		}
		return ""
	}
	d, err := ParseKeepAlive(raw)
	if err != nil {
		return ""
	}
	return d.String()
}

// validateKeepAlive checks an entry's keep_alive.
func (d *decoder) validateKeepAlive(key, v string) {
	if v == "" || d.failed(key) {
		return
	}
	if _, err := ParseKeepAlive(v); err != nil {
		d.problem(key, d.lineOf(key), "%v", err)
	}
}
