package translator

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon/ollama"
)

// capCache remembers what /api/show said about each backend model, for a
// while: the answer only changes when the user pulls a new version, and
// asking on every request would add a round trip to each one. Failures
// are not cached, so a model pulled after a 404 works at once.
type capCache struct {
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[string]capEntry
}

type capEntry struct {
	caps    *capabilities
	expires time.Time
}

func newCapCache(ttl time.Duration) *capCache {
	return &capCache{ttl: ttl, now: time.Now, m: map[string]capEntry{}}
}

// showTimeout bounds one /api/show call: it reads a manifest from disk,
// so anything slower means the server is in trouble.
const showTimeout = 15 * time.Second

// get returns the capabilities of model on the server c talks to. A nil
// result with a nil error means Ollama did not say (versions before
// capabilities were reported): nothing is assumed then.
func (cc *capCache) get(ctx context.Context, c *ollama.Client, model string) (*capabilities, error) {
	key := c.BaseURL() + "\x00" + model
	cc.mu.Lock()
	e, ok := cc.m[key]
	cc.mu.Unlock()
	if ok && cc.now().Before(e.expires) {
		return e.caps, nil
	}
	ctx, cancel := context.WithTimeout(ctx, showTimeout)
	defer cancel()
	show, err := c.Show(ctx, model)
	if err != nil {
		return nil, err
	}
	caps := capsFromShow(show)
	cc.mu.Lock()
	cc.m[key] = capEntry{caps: caps, expires: cc.now().Add(cc.ttl)}
	cc.mu.Unlock()
	return caps, nil
}

func capsFromShow(s *ollama.ShowResponse) *capabilities {
	if len(s.Capabilities) == 0 {
		return nil
	}
	return &capabilities{
		Thinking: slices.Contains(s.Capabilities, "thinking"),
		Tools:    slices.Contains(s.Capabilities, "tools"),
		Vision:   slices.Contains(s.Capabilities, "vision"),
		Family:   s.Details.Family,
	}
}
