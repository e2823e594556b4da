//go:build (darwin && cgo) || linux || windows

package tray

import "context"

// pullCommand runs "Pull <model>" or "Cancel pull of <model>". The pull
// itself goes on in the daemon, whose state brings the progress line;
// the notification comes when it ends.
func (m *Menu) pullCommand(ctx context.Context, it item) {
	a := m.actions
	switch {
	case it.command == cmdPull && a.Pull != nil:
		m.background(ctx, "pull "+it.model, func(ctx context.Context) (func(State) State, error) {
			return nil, a.Pull(ctx, it.alias)
		})
	case it.command == cmdCancelPull && a.CancelPull != nil:
		m.background(ctx, "cancel the pull of "+it.model, func(ctx context.Context) (func(State) State, error) {
			return nil, a.CancelPull(ctx, it.model)
		})
	}
}
