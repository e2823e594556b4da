// Package tray draws clawbridge's menu-bar (status-area) menu: live status
// lines, the switches of the config, a submenu per Claude alias to pick
// the local model that answers it, and a few actions.
//
// The daemon drives it with Run, giving it a State (and a fresh one on
// every change) and the Actions that clicks call; the menu never reaches
// into the daemon. What the menu shows is a pure function of the State
// (buildMenu in menu.go, IconFor in icon.go), tested without any GUI.
//
// The real menu uses fyne.io/systray and is compiled where that library
// works without extra toolchains (macOS with cgo, Linux, Windows); on
// Linux it is a StatusNotifierItem with a dbusmenu on the session bus,
// which package traytest reads and clicks in tests. Elsewhere a headless
// twin keeps the daemon building, and Run returns ErrUnavailable.
package tray
