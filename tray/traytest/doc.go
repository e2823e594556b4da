// Package traytest drives a real tray menu over DBus, the way a desktop
// panel does, so tests can read and click the menu of a running clawbridge
// without a screen.
//
// A test starts a private session bus (StartBus), runs the program that
// shows the tray with DBUS_SESSION_BUS_ADDRESS pointing at it, and
// connects a Client, which stands in for the panel: it owns the bus's
// StatusNotifierWatcher name, so the tray registers with it, and then
// reads the menu with com.canonical.dbusmenu.GetLayout and clicks items
// with Event(id, "clicked").
package traytest
