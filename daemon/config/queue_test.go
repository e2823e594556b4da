package config

import (
	"strings"
	"testing"
	"time"
)

func TestQueueSettings(t *testing.T) {
	for _, tt := range []struct {
		yaml   string
		length int
		wait   time.Duration
	}{
		{"", DefaultQueueLength, DefaultQueueTimeout},
		{"clawbridge: {translator: {queue_length: 0, queue_timeout: 0}}", 0, 0},
		{"clawbridge: {translator: {queue_length: 64, queue_timeout: 2.5}}", 64, 2500 * time.Millisecond},
	} {
		cfg, err := Parse([]byte(tt.yaml), "config.yaml")
		if err != nil {
			t.Fatal(err)
		}
		tr := cfg.Clawbridge.Translator
		if tr.MaxQueued() != tt.length || tr.QueueWait() != tt.wait {
			t.Errorf("%q: MaxQueued %d, QueueWait %v; want %d, %v", tt.yaml, tr.MaxQueued(), tr.QueueWait(), tt.length, tt.wait)
		}
	}
}

func TestQueueSettingsOutOfRange(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"clawbridge:\n  translator:\n    queue_length: -1\n", "config.yaml:3: clawbridge.translator.queue_length: -1 is out of range"},
		{"clawbridge:\n  translator:\n    queue_length: 2000000\n", "queue_length: 2000000 is out of range"},
		{"clawbridge:\n  translator:\n    queue_timeout: -5\n", "config.yaml:3: clawbridge.translator.queue_timeout: -5 is out of range"},
		{"clawbridge:\n  translator:\n    queue_length: many\n", "queue_length: want an integer"},
	} {
		_, err := Parse([]byte(tt.yaml), "config.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want an error containing %q", tt.yaml, err, tt.want)
		}
	}
}
