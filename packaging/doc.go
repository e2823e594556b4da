// Package packaging holds the files that tell an operating system how to run
// clawbridge. The service templates are embedded here so that `clawbridge
// install` writes exactly the reviewed files in this directory; the app
// bundle's Info.plist, the Homebrew formula and the release targets beside
// them are used by the Makefile (packaging.mk), not by the binary.
//
// Templates mark the values filled in at install time as @NAME@, with NAME
// in capitals; daemon/service fills and escapes them.
package packaging

import _ "embed"

// LaunchAgent is the macOS per-user LaunchAgent plist template.
//
//go:embed macos/launchagent.plist
var LaunchAgent string

// SystemdUnit is the Linux systemd user unit template.
//
//go:embed linux/clawbridge.service
var SystemdUnit string

// Autostart is the Linux desktop autostart entry template (XDG autostart).
//
//go:embed linux/clawbridge.desktop
var Autostart string

// InfoPlist is the app bundle's Info.plist template. The Makefile fills it
// (macos/fill-info-plist.sh); it is embedded so tests can check that its
// bundle identifier is the LaunchAgent's label.
//
//go:embed macos/Info.plist
var InfoPlist string
