//go:build !((darwin && cgo) || linux || windows)

package tray

import "context"

// Run returns ErrUnavailable at once: this build has no tray (see
// Available), and the daemon runs headless.
func Run(ctx context.Context, o Options) error { return ErrUnavailable }
