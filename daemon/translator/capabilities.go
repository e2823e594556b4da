package translator

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/clawbridge/clawbridge/daemon/anthropic"
	"github.com/clawbridge/clawbridge/daemon/upstream/ollama"
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
	info    *showInfo
	expires time.Time
}

// showInfo is what /api/show says about a model that the translator uses.
type showInfo struct {
	// Caps is nil when Ollama did not list capabilities (versions before
	// they were reported): nothing is assumed then.
	Caps *anthropic.Capabilities
	// ContextLength is the model's trained context length; 0 if unknown.
	ContextLength int
	// NumCtx is the num_ctx its Modelfile sets; 0 if none.
	NumCtx int
}

func newCapCache(ttl time.Duration) *capCache {
	return &capCache{ttl: ttl, now: time.Now, m: map[string]capEntry{}}
}

// showTimeout bounds one /api/show call: it reads a manifest from disk,
// so anything slower means the server is in trouble.
const showTimeout = 15 * time.Second

// get returns what /api/show says about model on the server c talks to.
func (cc *capCache) get(ctx context.Context, c *ollama.Client, model string) (*showInfo, error) {
	key := c.BaseURL() + "\x00" + model
	cc.mu.Lock()
	e, ok := cc.m[key]
	cc.mu.Unlock()
	if ok && cc.now().Before(e.expires) {
		return e.info, nil
	}
	ctx, cancel := context.WithTimeout(ctx, showTimeout)
	defer cancel()
	show, err := c.Show(ctx, model)
	if err != nil {
		return nil, err
	}
	info := &showInfo{Caps: capsFromShow(show), ContextLength: show.ContextLength()}
	info.NumCtx, _ = strconv.Atoi(show.Parameter("num_ctx"))
	cc.mu.Lock()
	cc.m[key] = capEntry{info: info, expires: cc.now().Add(cc.ttl)}
	cc.mu.Unlock()
	return info, nil
}

func capsFromShow(s *ollama.ShowResponse) *anthropic.Capabilities {
	if len(s.Capabilities) == 0 {
		return nil
	}
	return &anthropic.Capabilities{
		Thinking: slices.Contains(s.Capabilities, "thinking"),
		Tools:    slices.Contains(s.Capabilities, "tools"),
		Vision:   slices.Contains(s.Capabilities, "vision"),
		Family:   s.Details.Family,
	}
}
