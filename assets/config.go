// Package assets holds files embedded into the clawbridge binary, so that a
// single executable carries everything it needs at first start.
package assets

import _ "embed"

// DefaultConfig is the commented config.yaml written on first start when the
// user has none. It is the newcomer's documentation of every setting, so it
// must stay readable and must parse with daemon/config (tested there).
//
//go:embed config.default.yaml
var DefaultConfig []byte
