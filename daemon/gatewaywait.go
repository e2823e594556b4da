package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/clawbridge/clawbridge/daemon/gateway"
	"github.com/clawbridge/clawbridge/daemon/status"
)

// DefaultGatewayPatchWait is how long the gateway waits quietly for the
// pi-ai patch before it says it is waiting (it goes on waiting).
const DefaultGatewayPatchWait = 15 * time.Second

// awaitPatch returns true once every known catalog points at the
// translator (or the patcher is off: the user's choice), false when ctx
// ends first. After quiet it reports on the gateway's state, in the log
// and as a notification why the gateway has not started.
func (p *parts) awaitPatch(ctx context.Context, g *gateway.Supervisor, quiet time.Duration) bool {
	if quiet <= 0 {
		quiet = DefaultGatewayPatchWait
	}
	told := time.After(quiet)
	for {
		why := patchPending(p.live.State().Patcher)
		if why == "" {
			g.Set(func(s *status.GatewayState) { s.Err = "" })
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-told:
			msg := "not started while " + why + ": it starts once every pi-ai catalog points at clawbridge"
			g.Set(func(s *status.GatewayState) { s.Err = msg })
			p.live.problem("gateway", "Clawdbot gateway waiting", msg)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// patchPending says why Clawdbot would not reach the translator yet, or ""
// when every catalog found points at it.
func patchPending(st status.PatcherState) string {
	if !st.Enabled {
		return ""
	}
	if len(st.Targets) == 0 {
		return "no pi-ai catalog has been found"
	}
	for _, t := range st.Targets {
		switch why := t.Unpatched(); {
		case t.Err != "":
			return fmt.Sprintf("%s cannot be patched (%s)", t.File, why)
		case why != "":
			return fmt.Sprintf("%s is not patched (%s)", t.File, why)
		}
	}
	return ""
}
