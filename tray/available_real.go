//go:build (darwin && cgo) || linux || windows

package tray

// Available reports whether this build carries the real menu-bar tray; it
// is false on builds (such as darwin without cgo) that get the headless twin.
const Available = true
