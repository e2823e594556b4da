// Package tray draws clawbridge's menu-bar (status-area) menu. The real
// menu uses fyne.io/systray and is compiled where that library works
// without extra toolchains; elsewhere a headless twin keeps the daemon
// building and running without a menu.
package tray
